// One thread pool per worker count, made on first use and reused across property-test cases
// (creating threads per case is slow).
#pragma once

#include <cstddef>
#include <map>
#include <memory>

#include "tpl/thread_pool.hpp"

namespace tpl_test {

struct pools_by_worker_count {
  std::map<std::size_t, std::unique_ptr<tpl::thread_pool>> by_workers;
  tpl::thread_pool& get(std::size_t workers) {
    auto& slot = by_workers[workers];
    if (!slot) slot = std::make_unique<tpl::thread_pool>(workers);
    return *slot;
  }
};

}  // namespace tpl_test

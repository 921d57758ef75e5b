// Occupies one worker of a pool until release() (or destruction), so a test can see work that
// is queued behind it (status waiting_to_run, cancellation while queued). Synchronises on
// events only: the constructor returns once the worker is inside the blocking item.
#pragma once

#include <future>

#include "tpl/thread_pool.hpp"

namespace tpl_test {

class worker_blocker {
 public:
  explicit worker_blocker(tpl::thread_pool& pool) : released_(release_.get_future().share()) {
    std::promise<void> started;
    std::future<void> worker_inside = started.get_future();
    pool.submit([&started, released = released_] {
      started.set_value();
      released.wait();
    });
    worker_inside.wait();
  }
  worker_blocker(const worker_blocker&) = delete;
  worker_blocker& operator=(const worker_blocker&) = delete;
  ~worker_blocker() { release(); }

  void release() {
    if (!done_) release_.set_value();
    done_ = true;
  }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_;
  bool done_ = false;
};

}  // namespace tpl_test

// Counts how many bodies are inside a region at once and keeps the highest count seen: the
// check that a max_degree_of_parallelism holds (unit and property tests of the parallel loops).
#pragma once

#include <atomic>

namespace tpl_test {

struct concurrency_probe {
  std::atomic<int> active{0};
  std::atomic<int> highest{0};

  void enter() {
    const int now = active.fetch_add(1) + 1;
    int seen = highest.load();
    while (now > seen && !highest.compare_exchange_weak(seen, now)) {
    }
  }
  void leave() { active.fetch_sub(1); }
};

}  // namespace tpl_test

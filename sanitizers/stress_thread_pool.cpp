// Stress of tpl::thread_pool for ThreadSanitizer and AddressSanitizer+UBSan:
//   1. many producer threads submit from outside while workers fork, steal and sleep; every
//      item runs exactly once (a plain per-item counter: a double run is a wrong count and,
//      under TSan, a race);
//   2. fork-join recursion (parallel_invoke / parallel_for) on a 3-worker pool, with joins that
//      wait for thieves;
//   3. pools created and destroyed in a loop, with work in flight at destruction.
// Synchronisation is on events only (latches, joins, the pool's own drain), never on sleeps.
//
// Usage: stress_thread_pool [items_per_producer] [producers]
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <thread>
#include <tpl/parallel.hpp>
#include <tpl/thread_pool.hpp>
#include <vector>

namespace {

std::int64_t fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke([&] { left = fib(n - 1); }, [&] { right = fib(n - 2); });  // on the caller's pool
  return left + right;
}

bool producers_and_workers(int items_per_producer, int producers) {
  const std::size_t total = static_cast<std::size_t>(items_per_producer) * static_cast<std::size_t>(producers);
  std::vector<int> runs(total, 0);
  std::latch all_ran(static_cast<std::ptrdiff_t>(total));
  {
    tpl::thread_pool pool(3);
    std::vector<std::thread> threads;
    for (int producer = 0; producer < producers; ++producer) {
      threads.emplace_back([&, producer] {
        for (int item = 0; item < items_per_producer; ++item) {
          const std::size_t slot = static_cast<std::size_t>(producer) * static_cast<std::size_t>(items_per_producer) +
                                   static_cast<std::size_t>(item);
          if (item % 2 == 0) {
            pool.submit([&, slot] {
              ++runs[slot];
              all_ran.count_down();
            });
          } else {
            // Half the items fork a child from inside the pool: local deque, stealable.
            pool.submit([&, slot] {
              tpl::detail::current_worker()->pool().submit([&, slot] {
                ++runs[slot];
                all_ran.count_down();
              });
            });
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    all_ran.wait();
  }
  for (int count : runs) {
    if (count != 1) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int items_per_producer = argc > 1 ? std::atoi(argv[1]) : 20'000;
  const int producers = argc > 2 ? std::atoi(argv[2]) : 4;

  if (!producers_and_workers(items_per_producer, producers)) {
    std::fprintf(stderr, "FAILED: an item did not run exactly once\n");
    return 1;
  }
  std::printf("%d producers x %d items through a 3-worker pool: each ran exactly once\n", producers,
              items_per_producer);

  // An explicit 3-worker pool, not the default one: on a 1-core runner the default pool has a
  // single worker and would never steal, join a stolen child or signal a joiner.
  tpl::thread_pool fork_join_pool(3);
  std::int64_t result = 0;
  tpl::parallel_invoke(tpl::parallel_options{&fork_join_pool}, [&] { result = fib(22); });
  std::vector<int> squares(100'000);
  tpl::parallel_for(0, 100'000, [&](int index) { squares[static_cast<std::size_t>(index)] = index % 1000; },
                    tpl::parallel_options{&fork_join_pool, 16});
  std::int64_t sum = 0;
  for (int value : squares) sum += value;
  if (result != 17711 || sum != 100LL * 499500) {
    std::fprintf(stderr, "FAILED: fork-join results wrong (fib %lld, sum %lld)\n", static_cast<long long>(result),
                 static_cast<long long>(sum));
    return 1;
  }
  std::printf("fork-join on a 3-worker pool: fib(22) and a 100k parallel_for are right\n");

  for (int round = 0; round < 100; ++round) {
    std::atomic<int> ran{0};
    {
      tpl::thread_pool pool(2);
      for (int item = 0; item < 20; ++item) pool.submit([&] { ran.fetch_add(1, std::memory_order_relaxed); });
    }
    if (ran.load() != 20) {
      std::fprintf(stderr, "FAILED: pool destroyed with work lost (round %d)\n", round);
      return 1;
    }
  }
  std::printf("100 pools created and destroyed with work in flight: nothing lost\n");
  return 0;
}

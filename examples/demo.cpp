// `make demo`: tpl's work-stealing pool at work. Three fork-join computations on one pool —
// Parallel.Invoke-style recursion, Parallel.For over a range, Parallel.ForEach over a list —
// each checked against a serial answer, then what every worker did: items executed, items
// stolen from another worker, times it fell asleep for lack of work and woke again.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <list>
#include <numeric>
#include <thread>
#include <tpl/parallel.hpp>
#include <tpl/thread_pool.hpp>
#include <vector>

#include "fork_join_fib.hpp"

namespace {

using tpl_examples::fork_join_fib;

bool is_prime(std::int64_t number) {
  if (number < 2) return false;
  for (std::int64_t divisor = 2; divisor * divisor <= number; ++divisor) {
    if (number % divisor == 0) return false;
  }
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  const std::size_t workers = std::max(2u, std::thread::hardware_concurrency());
  tpl::thread_pool pool(workers);
  const tpl::parallel_options on_pool{&pool};
  std::printf("tpl demo: a work-stealing pool with %zu workers\n\n", workers);
  bool all_right = true;

  // 1. parallel_invoke: fib(32) with one fork per call (7 million calls, no cutoff).
  auto start = std::chrono::steady_clock::now();
  std::int64_t fib_result = 0;
  tpl::parallel_invoke(on_pool, [&] { fib_result = fork_join_fib(32); });
  all_right = all_right && fib_result == 2178309;
  std::printf("parallel_invoke   fib(32) = %lld (%s), %.3f s\n", static_cast<long long>(fib_result),
              fib_result == 2178309 ? "correct" : "WRONG", seconds_since(start));

  // 2. parallel_for: count primes below 3,000,000, one flag per number.
  start = std::chrono::steady_clock::now();
  constexpr std::int64_t limit = 3'000'000;
  std::vector<char> prime(limit, 0);
  tpl::parallel_for(std::int64_t{0}, limit, [&](std::int64_t number) { prime[static_cast<std::size_t>(number)] = is_prime(number); },
                    on_pool);
  const auto primes = std::count(prime.begin(), prime.end(), 1);
  all_right = all_right && primes == 216816;
  std::printf("parallel_for      primes below %lld = %lld (%s), %.3f s\n", static_cast<long long>(limit),
              static_cast<long long>(primes), primes == 216816 ? "correct" : "WRONG", seconds_since(start));

  // 3. parallel_for_each over a std::list (not random access).
  start = std::chrono::steady_clock::now();
  std::list<std::int64_t> numbers(200'000);
  std::iota(numbers.begin(), numbers.end(), 1);
  tpl::parallel_for_each(numbers, [](std::int64_t& number) { number = number * number % 1'000'003; }, on_pool);
  std::int64_t serial = 0;
  for (std::int64_t number = 1; number <= 200'000; ++number) serial += number * number % 1'000'003;
  const std::int64_t parallel = std::accumulate(numbers.begin(), numbers.end(), std::int64_t{0});
  all_right = all_right && serial == parallel;
  std::printf("parallel_for_each squares mod p over a list: %s, %.3f s\n", serial == parallel ? "correct" : "WRONG",
              seconds_since(start));

  // The pool idles between computations: its workers sleep instead of spinning.
  pool.shutdown();
  std::printf("\n%-8s %12s %10s %8s %8s %13s\n", "worker", "executed", "stolen", "slept", "woken", "deepest help");
  const auto counters = pool.counters();
  for (std::size_t index = 0; index < counters.size(); ++index) {
    const auto& each = counters[index];
    std::printf("%-8zu %12llu %10llu %8llu %8llu %13d\n", index, static_cast<unsigned long long>(each.executed),
                static_cast<unsigned long long>(each.stolen), static_cast<unsigned long long>(each.slept),
                static_cast<unsigned long long>(each.woken), each.deepest_help);
  }
  std::printf("\n(executed counts items taken from a deque or queue; a fork that its own frame joins\n"
              " inline is a plain call and is not counted)\n");
  return all_right ? 0 : 1;
}

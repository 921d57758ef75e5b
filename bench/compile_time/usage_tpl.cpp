// A typical small user of tpl: a coroutine fork-join, a completion source, cancellation and
// when_all, as bench/compile_time.sh compiles it (beside usage_tbb.cpp doing the same with oneTBB).
#include <tpl/tpl.hpp>

#include <cstdint>
#include <vector>

tpl::task<std::int64_t> sum(const std::vector<int>& values, std::size_t first, std::size_t last) {
  if (last - first < 1024) {
    std::int64_t total = 0;
    for (std::size_t index = first; index < last; ++index) total += values[index];
    co_return total;
  }
  const std::size_t middle = first + (last - first) / 2;
  tpl::task<std::int64_t> left = tpl::run([&values, first, middle] { return sum(values, first, middle); });
  const std::int64_t right = co_await sum(values, middle, last);
  co_return co_await left + right;
}

int main() {
  std::vector<int> values(1 << 20, 1);
  tpl::cancellation_token_source source;
  tpl::task_completion_source<int> gate;
  auto all = tpl::when_all(sum(values, 0, values.size()), gate.task());
  gate.set_result(1);
  const auto [total, one] = all.get();
  return total == static_cast<std::int64_t>(values.size()) + 0 * one && !source.is_cancellation_requested() ? 0 : 1;
}

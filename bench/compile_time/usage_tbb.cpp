// The same small program as usage_tpl.cpp with oneTBB: a task_group fork-join and a parallel sum.
#include <tbb/task_group.h>

#include <cstdint>
#include <vector>

std::int64_t sum(const std::vector<int>& values, std::size_t first, std::size_t last) {
  if (last - first < 1024) {
    std::int64_t total = 0;
    for (std::size_t index = first; index < last; ++index) total += values[index];
    return total;
  }
  const std::size_t middle = first + (last - first) / 2;
  std::int64_t left = 0;
  tbb::task_group group;
  group.run([&] { left = sum(values, first, middle); });
  const std::int64_t right = sum(values, middle, last);
  group.wait();
  return left + right;
}

int main() {
  std::vector<int> values(1 << 20, 1);
  tbb::task_group_context context;
  return sum(values, 0, values.size()) == static_cast<std::int64_t>(values.size()) && !context.is_group_execution_cancelled() ? 0 : 1;
}

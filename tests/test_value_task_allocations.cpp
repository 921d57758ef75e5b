// value_task's promise: no heap allocation when the operation completes synchronously, and none
// per operation when a reused manual_reset_value_task_source completes it asynchronously. Counted
// by the failing allocator's replacement of every global operator new (tests/support), so this
// is its own executable; under ThreadSanitizer (whose runtime owns operator new) nothing can be
// counted and the tests say so by skipping.
#include <gtest/gtest.h>

#include <cstdint>

#include "support/failing_allocator.hpp"
#include "tpl/manual_reset_value_task_source.hpp"
#include "tpl/task.hpp"
#include "tpl/value_task.hpp"

namespace {

constexpr int operations = 1'000'000;

// A buffered reader's read(): synchronous from its buffer.
tpl::value_task<int> read_buffered(int index) { return tpl::value_task<int>::from_result(index); }

// One coroutine (one frame, allocated before counting starts) awaits every operation.
tpl::task<std::int64_t> sum_buffered_reads(std::int64_t* allocations_during_loop) {
  const std::int64_t before = tpl_scenarios::allocations_so_far();
  std::int64_t sum = 0;
  for (int index = 0; index < operations; ++index) sum += co_await read_buffered(index);
  *allocations_during_loop = tpl_scenarios::allocations_so_far() - before;
  co_return sum;
}

TEST(ValueTaskAllocations, SynchronousCompletionAllocatesNothing) {
  if (!tpl_scenarios::injection_available()) GTEST_SKIP() << "operator new cannot be replaced under ThreadSanitizer";
  std::int64_t allocations = -1;
  const std::int64_t sum = sum_buffered_reads(&allocations).get();
  EXPECT_EQ(sum, std::int64_t{operations} * (operations - 1) / 2);
  EXPECT_EQ(allocations, 0) << "allocations over " << operations << " synchronous value_task awaits";
}

// The counter sees allocations in this binary: the same loop over value_tasks that wrap a task
// (the asynchronous shape) allocates a task state per operation.
tpl::task<std::int64_t> count_task_backed_reads(int count) {
  const std::int64_t before = tpl_scenarios::allocations_so_far();
  for (int index = 0; index < count; ++index) (void)co_await tpl::value_task<int>(tpl::task<int>::from_result(index));
  co_return tpl_scenarios::allocations_so_far() - before;
}

TEST(ValueTaskAllocations, TheCounterSeesTaskAllocations) {
  if (!tpl_scenarios::injection_available()) GTEST_SKIP() << "operator new cannot be replaced under ThreadSanitizer";
  EXPECT_GE(count_task_backed_reads(1000).get(), 1000);
}

// The consumer awaits each operation of one reused source before it completes; the producer (this
// thread) completes it, which resumes the consumer inline; the consumer resets the source.
tpl::task<std::int64_t> consume_pooled(tpl::manual_reset_value_task_source<int>* source) {
  std::int64_t sum = 0;
  for (int index = 0; index < operations; ++index) {
    sum += co_await source->task();
    source->reset();
  }
  co_return sum;
}

TEST(ValueTaskAllocations, ReusedSourceAllocatesNothingPerOperation) {
  if (!tpl_scenarios::injection_available()) GTEST_SKIP() << "operator new cannot be replaced under ThreadSanitizer";
  tpl::manual_reset_value_task_source<int> source;
  tpl::task<std::int64_t> consumer = consume_pooled(&source);  // suspended on operation 0
  const std::int64_t before = tpl_scenarios::allocations_so_far();
  for (int index = 0; index < operations; ++index) source.set_result(index);
  const std::int64_t allocations = tpl_scenarios::allocations_so_far() - before;
  EXPECT_EQ(consumer.get(), std::int64_t{operations} * (operations - 1) / 2);
  EXPECT_EQ(allocations, 0) << "allocations over " << operations << " asynchronous operations of one source";
}

}  // namespace

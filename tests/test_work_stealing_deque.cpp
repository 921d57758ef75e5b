// Single-threaded behaviour and misuse errors of tpl::work_stealing_deque. Concurrency is
// checked by the Relacy model (models/model_deque.cpp) and the stress test (sanitizers/).
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <tpl/work_stealing_deque.hpp>
#include <utility>

namespace {

TEST(WorkStealingDeque, OwnerPopsNewestFirst) {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  for (int item = 1; item <= 3; ++item) owner.push(item);
  EXPECT_EQ(owner.pop(), 3);
  EXPECT_EQ(owner.pop(), 2);
  EXPECT_EQ(owner.pop(), 1);
  EXPECT_EQ(owner.pop(), std::nullopt);
}

TEST(WorkStealingDeque, ThiefStealsOldestFirst) {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  auto stealer = deque.stealer();
  for (int item = 1; item <= 3; ++item) owner.push(item);
  for (int expected = 1; expected <= 3; ++expected) {
    auto result = stealer.steal();
    ASSERT_EQ(result.status(), tpl::steal_status::success);
    EXPECT_EQ(result.item(), expected);
  }
  EXPECT_EQ(stealer.steal().status(), tpl::steal_status::empty);
}

TEST(WorkStealingDeque, EmptyDequeReportsEmptyToBothRoles) {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  EXPECT_EQ(owner.pop(), std::nullopt);
  EXPECT_EQ(deque.stealer().steal().status(), tpl::steal_status::empty);
  owner.push(7);
  EXPECT_EQ(owner.pop(), 7);
  EXPECT_EQ(owner.pop(), std::nullopt);  // popping past empty leaves the deque usable
  owner.push(8);
  EXPECT_EQ(deque.stealer().steal().item(), 8);
}

TEST(WorkStealingDeque, GrowthKeepsEveryItemInOrder) {
  tpl::work_stealing_deque<std::int64_t> deque(2);
  auto owner = deque.owner();
  auto stealer = deque.stealer();
  constexpr std::int64_t count = 10'000;
  for (std::int64_t item = 0; item < count; ++item) owner.push(item);
  // Steal the older half, pop the newer half: both ends see the items grown buffers hold.
  for (std::int64_t item = 0; item < count / 2; ++item) ASSERT_EQ(stealer.steal().item(), item);
  for (std::int64_t item = count - 1; item >= count / 2; --item) ASSERT_EQ(owner.pop(), item);
  EXPECT_EQ(owner.pop(), std::nullopt);
}

TEST(WorkStealingDeque, WrapAroundWithoutGrowth) {
  tpl::work_stealing_deque<int> deque(4);
  auto owner = deque.owner();
  auto stealer = deque.stealer();
  // Indices run far past the capacity while the deque never holds more than 3 items.
  for (int round = 0; round < 100; ++round) {
    owner.push(3 * round);
    owner.push(3 * round + 1);
    owner.push(3 * round + 2);
    ASSERT_EQ(stealer.steal().item(), 3 * round);
    ASSERT_EQ(owner.pop(), 3 * round + 2);
    ASSERT_EQ(stealer.steal().item(), 3 * round + 1);
  }
  EXPECT_EQ(owner.pop(), std::nullopt);
}

TEST(WorkStealingDeque, HoldsPointers) {
  int values[2] = {10, 20};
  tpl::work_stealing_deque<int*> deque;
  auto owner = deque.owner();
  owner.push(&values[0]);
  owner.push(&values[1]);
  EXPECT_EQ(*deque.stealer().steal().item(), 10);
  EXPECT_EQ(**owner.pop(), 20);
}

TEST(WorkStealingDequeMisuse, SecondOwnerHandleThrows) {
  tpl::work_stealing_deque<int> deque;
  [[maybe_unused]] auto owner = deque.owner();
  EXPECT_THROW((void)deque.owner(), tpl::invalid_operation);
}

TEST(WorkStealingDequeMisuse, MovedFromOwnerThrows) {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  auto moved = std::move(owner);
  moved.push(1);
  EXPECT_THROW(owner.push(2), tpl::invalid_operation);  // NOLINT(bugprone-use-after-move): the point
  EXPECT_THROW((void)owner.pop(), tpl::invalid_operation);
  EXPECT_EQ(moved.pop(), 1);
}

TEST(WorkStealingDequeMisuse, CapacityMustBePowerOfTwoAtLeastTwo) {
  EXPECT_THROW(tpl::work_stealing_deque<int>(0), std::invalid_argument);
  EXPECT_THROW(tpl::work_stealing_deque<int>(1), std::invalid_argument);
  EXPECT_THROW(tpl::work_stealing_deque<int>(3), std::invalid_argument);
  EXPECT_THROW(tpl::work_stealing_deque<int>(-8), std::invalid_argument);
  EXPECT_NO_THROW(tpl::work_stealing_deque<int>(2));
}

TEST(WorkStealingDequeMisuse, ItemOfFailedStealThrows) {
  tpl::work_stealing_deque<int> deque;
  auto result = deque.stealer().steal();
  EXPECT_FALSE(result);
  EXPECT_THROW((void)result.item(), tpl::invalid_operation);
  EXPECT_THROW((void)tpl::steal_result<int>::lost_race().item(), tpl::invalid_operation);
}

}  // namespace

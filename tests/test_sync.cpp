// The production backend of tpl::sync behaves like the std facilities it wraps.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <tpl/sync/sync.hpp>

namespace {

TEST(SyncAtomic, ReadModifyWriteOperationsReturnThePreviousValue) {
  tpl::sync::atomic<unsigned> word{0b0101u};
  EXPECT_EQ(word.fetch_add(2, std::memory_order_relaxed), 0b0101u);
  EXPECT_EQ(word.fetch_sub(1, std::memory_order_relaxed), 0b0111u);
  EXPECT_EQ(word.fetch_or(0b1000u, std::memory_order_relaxed), 0b0110u);
  EXPECT_EQ(word.fetch_and(0b1010u, std::memory_order_relaxed), 0b1110u);
  EXPECT_EQ(word.exchange(5, std::memory_order_relaxed), 0b1010u);
  EXPECT_EQ(word.load(std::memory_order_relaxed), 5u);
  word.store(9, std::memory_order_relaxed);
  EXPECT_EQ(word.load(std::memory_order_relaxed), 9u);
}

TEST(SyncAtomic, DefaultConstructionIsZero) {
  tpl::sync::atomic<long> word;
  EXPECT_EQ(word.load(std::memory_order_relaxed), 0);
}

TEST(SyncAtomic, CompareExchangeUpdatesExpectedOnFailure) {
  tpl::sync::atomic<int> word{3};
  int expected = 4;
  EXPECT_FALSE(word.compare_exchange_strong(expected, 5, std::memory_order_acq_rel, std::memory_order_acquire));
  EXPECT_EQ(expected, 3);
  EXPECT_TRUE(word.compare_exchange_strong(expected, 5, std::memory_order_acq_rel, std::memory_order_acquire));
  EXPECT_EQ(word.load(std::memory_order_relaxed), 5);
  expected = 5;
  while (!word.compare_exchange_weak(expected, 6, std::memory_order_relaxed, std::memory_order_relaxed)) {
  }
  EXPECT_EQ(word.load(std::memory_order_relaxed), 6);
}

TEST(SyncAtomic, FailureOrderRule) {
  using tpl::sync::failure_order_is_valid;
  EXPECT_TRUE(failure_order_is_valid(std::memory_order_seq_cst, std::memory_order_seq_cst));
  EXPECT_TRUE(failure_order_is_valid(std::memory_order_seq_cst, std::memory_order_relaxed));
  EXPECT_TRUE(failure_order_is_valid(std::memory_order_acq_rel, std::memory_order_acquire));
  EXPECT_TRUE(failure_order_is_valid(std::memory_order_release, std::memory_order_relaxed));
  EXPECT_FALSE(failure_order_is_valid(std::memory_order_relaxed, std::memory_order_acquire));
  EXPECT_FALSE(failure_order_is_valid(std::memory_order_release, std::memory_order_acquire));
  EXPECT_FALSE(failure_order_is_valid(std::memory_order_acquire, std::memory_order_seq_cst));
  EXPECT_FALSE(failure_order_is_valid(std::memory_order_seq_cst, std::memory_order_release));
  EXPECT_FALSE(failure_order_is_valid(std::memory_order_seq_cst, std::memory_order_acq_rel));
}

TEST(SyncCell, StoresAndLoads) {
  tpl::sync::cell<double> value{1.5};
  EXPECT_EQ(value.load(), 1.5);
  value.store(2.5);
  EXPECT_EQ(value.load(), 2.5);
}

TEST(SyncThread, JoinOrdersTheThreadsWritesBeforeTheJoiner) {
  tpl::sync::cell<int> written{0};
  tpl::sync::thread child([&] { written.store(42); });
  child.join();
  EXPECT_EQ(written.load(), 42);
}

TEST(SyncThread, DestructionJoins) {
  std::atomic<bool> ran{false};
  { tpl::sync::thread child([&] { ran.store(true); }); }
  EXPECT_TRUE(ran.load());
}

TEST(SyncConditionVariable, HandsOverAValueUnderTheMutex) {
  tpl::sync::mutex mutex;
  tpl::sync::condition_variable changed;
  int value = 0;
  tpl::sync::thread producer([&] {
    tpl::sync::lock_guard lock(mutex);
    value = 1;
    changed.notify_all();
  });
  mutex.lock();
  changed.wait(mutex, [&] { return value == 1; });
  EXPECT_EQ(value, 1);
  mutex.unlock();
  producer.join();
}

TEST(SyncAllocation, RoundTripsAlignedStorage) {
  void* storage = tpl::sync::allocate_bytes(256, 64);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(storage) % 64, 0u);
  tpl::sync::deallocate_bytes(storage, 256, 64);
}

}  // namespace

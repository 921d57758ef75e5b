// co_await pool.schedule() and co_await tpl::resume_on(pool): a coroutine moves onto a pool.
#include <gtest/gtest.h>

#include <thread>

#include "tpl/exceptions.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

namespace {

struct where {
  std::thread::id before;
  std::thread::id after;
  bool after_on_pool = false;
};

tpl::task<where> switch_with_schedule(tpl::thread_pool& pool) {
  where seen{std::this_thread::get_id(), {}, false};
  co_await pool.schedule();
  seen.after = std::this_thread::get_id();
  seen.after_on_pool = pool.current_worker() != nullptr;
  co_return seen;
}

tpl::task<where> switch_with_resume_on(tpl::thread_pool& pool) {
  where seen{std::this_thread::get_id(), {}, false};
  co_await tpl::resume_on(pool);
  seen.after = std::this_thread::get_id();
  seen.after_on_pool = pool.current_worker() != nullptr;
  co_return seen;
}

TEST(PoolScheduling, ScheduleMovesTheCoroutineFromThisThreadOntoThePool) {
  tpl::thread_pool pool(1);
  const where seen = switch_with_schedule(pool).get();
  EXPECT_EQ(seen.before, std::this_thread::get_id()) << "a coroutine starts on its caller's thread";
  EXPECT_NE(seen.after, std::this_thread::get_id());
  EXPECT_TRUE(seen.after_on_pool);
}

TEST(PoolScheduling, ResumeOnMovesTheCoroutineFromAnotherPool) {
  tpl::thread_pool from(1);
  tpl::thread_pool to(1);
  const where seen = tpl::run(from, [&to] { return switch_with_resume_on(to); }).get();
  EXPECT_NE(seen.before, seen.after);
  EXPECT_TRUE(seen.after_on_pool);
}

TEST(PoolScheduling, ResumeOnDoesNotSuspendOnThePoolItselfButScheduleDoes) {
  // On the pool's only worker: a coroutine that does not suspend has completed when its call
  // returns; one that queued itself cannot have (the worker is busy right here).
  tpl::thread_pool pool(1);
  const bool resume_on_completed_at_once =
      tpl::run(pool, [&pool] { return switch_with_resume_on(pool).is_completed(); }).get();
  EXPECT_TRUE(resume_on_completed_at_once);
  const bool schedule_completed_at_once =
      tpl::run(pool, [&pool] { return switch_with_schedule(pool).is_completed(); }).get();
  EXPECT_FALSE(schedule_completed_at_once);
}

TEST(PoolScheduling, ScheduleOnAPoolThatShutDownThrowsAtTheAwaitAndStaysHere) {
  tpl::thread_pool pool(1);
  pool.shutdown();
  auto attempt = [&pool]() -> tpl::task<std::thread::id> {
    try {
      co_await pool.schedule();
    } catch (const tpl::invalid_operation&) {
      co_return std::this_thread::get_id();
    }
    ADD_FAILURE() << "schedule() on a pool that was shut down must throw";
    co_return std::thread::id{};
  };
  EXPECT_EQ(attempt().get(), std::this_thread::get_id());
}

}  // namespace

// detail::task_state on its own, single-threaded: the transitions .NET's TaskStatus allows,
// complete-once, continuation order, the observed flag and the reference count. The races are
// in models/model_task_state.cpp.
#include <gtest/gtest.h>

#include <tpl/detail/task_state.hpp>
#include <vector>

namespace {

using tpl::task_status;
using tpl::detail::continuation;
using tpl::detail::task_state;

struct logging_continuation : continuation {
  logging_continuation(std::vector<int>& log, int id)
      : continuation(&logging_continuation::run), log(log), id(id) {}
  static void run(continuation* self) {
    auto* me = static_cast<logging_continuation*>(self);
    me->log.push_back(me->id);
  }
  std::vector<int>& log;
  int id;
};

TEST(TaskState, ScheduledTaskGoesThroughItsStatuses) {
  task_state state(task_status::created);
  EXPECT_EQ(state.status(), task_status::created);
  EXPECT_TRUE(state.try_transition(task_status::created, task_status::waiting_to_run));
  EXPECT_FALSE(state.try_transition(task_status::created, task_status::running));  // not from created any more
  EXPECT_TRUE(state.try_transition(task_status::waiting_to_run, task_status::running));
  EXPECT_EQ(state.status(), task_status::running);
  EXPECT_FALSE(state.is_completed());
  ASSERT_TRUE(state.try_reserve_completion());
  EXPECT_FALSE(state.try_transition(task_status::running, task_status::waiting_to_run));  // reserved
  state.complete(task_status::ran_to_completion);
  EXPECT_EQ(state.status(), task_status::ran_to_completion);
  EXPECT_TRUE(state.is_completed());
}

TEST(TaskState, CompletesOnlyOnce) {
  for (task_status final_status : {task_status::ran_to_completion, task_status::faulted, task_status::canceled}) {
    task_state state(task_status::waiting_for_activation);
    ASSERT_TRUE(state.try_reserve_completion());
    EXPECT_FALSE(state.try_reserve_completion());  // reserved: a second completer loses
    state.complete(final_status);
    EXPECT_FALSE(state.try_reserve_completion());  // completed: still loses
    EXPECT_EQ(state.status(), final_status);
    EXPECT_FALSE(state.try_transition(final_status, task_status::running));
  }
}

TEST(TaskState, ContinuationsRunOnceInRegistrationOrder) {
  std::vector<int> log;
  task_state state(task_status::waiting_for_activation);
  logging_continuation first(log, 1), second(log, 2), third(log, 3);
  EXPECT_TRUE(state.add_continuation(&first));
  EXPECT_TRUE(state.add_continuation(&second));
  EXPECT_TRUE(state.add_continuation(&third));
  EXPECT_TRUE(log.empty());
  ASSERT_TRUE(state.try_reserve_completion());
  state.complete(task_status::ran_to_completion);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
  logging_continuation late(log, 4);
  EXPECT_FALSE(state.add_continuation(&late));  // completed: the caller runs it
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
}

TEST(TaskState, ExceptionObservedFlagSurvivesCompletion) {
  task_state state(task_status::waiting_for_activation);
  EXPECT_FALSE(state.exception_was_observed());
  ASSERT_TRUE(state.try_reserve_completion());
  state.complete(task_status::faulted);
  EXPECT_FALSE(state.mark_exception_observed());
  EXPECT_TRUE(state.mark_exception_observed());
  EXPECT_TRUE(state.exception_was_observed());
  EXPECT_EQ(state.status(), task_status::faulted);
}

TEST(TaskState, ReferenceCountReportsTheLastRelease) {
  task_state state(task_status::created);  // starts with one reference
  state.add_reference();
  state.add_reference();
  EXPECT_FALSE(state.release_reference());
  EXPECT_FALSE(state.release_reference());
  EXPECT_TRUE(state.release_reference());
}

}  // namespace

// Cancellation: sources, tokens, registrations (.NET's rules), cancel_after, linked sources,
// std::stop_token interop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/stop_token_interop.hpp"

namespace {

using tpl::cancellation_registration;
using tpl::cancellation_token;
using tpl::cancellation_token_source;

TEST(CancellationToken, NoneCanNeverBeCanceled) {
  cancellation_token none = cancellation_token::none();
  EXPECT_FALSE(none.can_be_canceled());
  EXPECT_FALSE(none.is_cancellation_requested());
  EXPECT_NO_THROW(none.throw_if_cancellation_requested());
  bool ran = false;
  cancellation_registration registration = none.register_callback([&ran] { ran = true; });
  EXPECT_FALSE(registration.unregister());
  EXPECT_FALSE(ran);
  EXPECT_TRUE(none == cancellation_token());
}

TEST(CancellationToken, ReflectsItsSourceAndThrowsOperationCanceledCarryingIt) {
  cancellation_token_source source;
  cancellation_token token = source.token();
  EXPECT_TRUE(token.can_be_canceled());
  EXPECT_FALSE(token.is_cancellation_requested());
  EXPECT_TRUE(token == source.token());
  source.cancel();
  EXPECT_TRUE(token.is_cancellation_requested());
  EXPECT_TRUE(source.is_cancellation_requested());
  try {
    token.throw_if_cancellation_requested();
    FAIL() << "no exception";
  } catch (const tpl::operation_canceled& canceled) {
    EXPECT_TRUE(canceled.token() == token);
  }
}

TEST(Registration, CallbacksRunOnceOnTheCancellingThreadNewestFirst) {
  cancellation_token_source source;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::vector<cancellation_registration> registrations;
  for (int index = 0; index < 5; ++index) {
    registrations.push_back(source.token().register_callback([&, index] {
      order.push_back(index);
      threads.push_back(std::this_thread::get_id());
    }));
  }
  std::thread canceller([&] { source.cancel(); });
  const auto canceller_id = canceller.get_id();
  canceller.join();
  EXPECT_EQ(order, (std::vector<int>{4, 3, 2, 1, 0}));
  for (const auto& id : threads) EXPECT_EQ(id, canceller_id);
  source.cancel();  // a second cancel runs nothing again
  EXPECT_EQ(order.size(), 5u);
}

TEST(Registration, OrderIsNewestFirstEvenWhenNodesAreRecycled) {
  cancellation_token_source source;
  std::vector<int> order;
  auto first = source.token().register_callback([&] { order.push_back(1); });
  {
    auto temporary = source.token().register_callback([&] { order.push_back(99); });
  }  // its node is now free, and the next registration recycles it
  auto second = source.token().register_callback([&] { order.push_back(2); });
  auto third = source.token().register_callback([&] { order.push_back(3); });
  source.cancel();
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

TEST(Registration, AfterCancellationRunsAtOnceOnTheRegisteringThread) {
  cancellation_token_source source;
  source.cancel();
  std::thread::id ran_on;
  auto registration = source.token().register_callback([&ran_on] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(registration.unregister());
  EXPECT_THROW((void)source.token().register_callback([] { throw std::runtime_error("inline"); }), std::runtime_error);
}

TEST(Registration, UnregisterReturnsWhetherRemovedBeforeItRan) {
  cancellation_token_source source;
  int runs = 0;
  auto removed = source.token().register_callback([&runs] { ++runs; });
  auto kept = source.token().register_callback([&runs] { runs += 10; });
  EXPECT_TRUE(removed.unregister());
  EXPECT_FALSE(removed.unregister());  // only once
  source.cancel();
  EXPECT_EQ(runs, 10);
  EXPECT_FALSE(kept.unregister());  // it ran
}

TEST(Registration, NullCallbackIsRejected) {
  cancellation_token_source source;
  std::function<void()> null_function;
  EXPECT_THROW((void)source.token().register_callback(null_function), std::invalid_argument);
}

TEST(Registration, CancelCollectsEveryExceptionAfterRunningAllCallbacks) {
  cancellation_token_source source;
  int ran = 0;
  auto a = source.token().register_callback([&] {
    ++ran;
    throw std::runtime_error("a");
  });
  auto b = source.token().register_callback([&] { ++ran; });
  auto c = source.token().register_callback([&] {
    ++ran;
    throw std::logic_error("c");
  });
  try {
    source.cancel();
    FAIL() << "cancel() did not throw";
  } catch (const tpl::aggregate_exception& error) {
    EXPECT_EQ(ran, 3);
    ASSERT_EQ(error.inner_exceptions().size(), 2u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), std::logic_error);  // c ran first
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[1]), std::runtime_error);
  }
}

TEST(Registration, DestroyingWhileTheCallbackRunsElsewhereWaitsForIt) {
  cancellation_token_source source;
  std::latch callback_started(1);
  std::promise<void> release_callback;
  std::shared_future<void> released = release_callback.get_future().share();
  std::atomic<bool> callback_finished{false};
  auto registration = std::make_unique<cancellation_registration>(source.token().register_callback([&] {
    callback_started.count_down();
    released.wait();
    callback_finished.store(true);
  }));
  std::thread canceller([&] { source.cancel(); });
  callback_started.wait();
  EXPECT_FALSE(registration->unregister());  // it is running: not removed, and unregister does not wait
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    registration.reset();  // waits for the callback
    destroyed.store(true);
    EXPECT_TRUE(callback_finished.load());
  });
  release_callback.set_value();
  destroyer.join();
  canceller.join();
  EXPECT_TRUE(destroyed.load());
}

TEST(Registration, DestroyingFromInsideItsOwnCallbackDoesNotWait) {
  cancellation_token_source source;
  std::unique_ptr<cancellation_registration> registration;
  bool disposed_inside = false;
  registration = std::make_unique<cancellation_registration>(source.token().register_callback([&] {
    registration.reset();  // would deadlock if it waited for itself
    disposed_inside = true;
  }));
  source.cancel();
  EXPECT_TRUE(disposed_inside);
}

TEST(Registration, ManyRegisterUnregisterCyclesEachRemoveTheirCallback) {
  cancellation_token_source source;
  for (int cycle = 0; cycle < 100000; ++cycle) {
    auto registration = source.token().register_callback([] {});
    EXPECT_TRUE(registration.unregister());
  }
  int ran = 0;
  auto last = source.token().register_callback([&ran] { ++ran; });
  source.cancel();
  EXPECT_EQ(ran, 1);
}

TEST(CancelAfter, CancelsOnAPoolThreadAfterTheDelay) {
  cancellation_token_source source;
  std::promise<std::thread::id> ran_on;
  auto registration = source.token().register_callback([&ran_on] { ran_on.set_value(std::this_thread::get_id()); });
  source.cancel_after(std::chrono::milliseconds(1));
  const auto id = ran_on.get_future().get();
  EXPECT_TRUE(source.is_cancellation_requested());
  EXPECT_NE(id, std::this_thread::get_id());
}

TEST(CancelAfter, RearmingReplacesTheDeadlineAndDestructionDisarms) {
  const std::size_t before = tpl::detail::timer_service::instance().pending();
  {
    cancellation_token_source source;
    source.cancel_after(std::chrono::hours(1));
    source.cancel_after(std::chrono::hours(2));
    EXPECT_EQ(tpl::detail::timer_service::instance().pending(), before + 1);  // one deadline armed
    EXPECT_FALSE(source.is_cancellation_requested());
  }
  EXPECT_EQ(tpl::detail::timer_service::instance().pending(), before);  // destruction disarmed it
  cancellation_token_source source;
  source.cancel_after(std::chrono::hours(1));
  std::promise<void> canceled;
  auto registration = source.token().register_callback([&canceled] { canceled.set_value(); });
  source.cancel_after(std::chrono::milliseconds(0));  // replaces the hour with "now"
  canceled.get_future().wait();
  EXPECT_TRUE(source.is_cancellation_requested());
  EXPECT_THROW(source.cancel_after(std::chrono::milliseconds(-2)), std::invalid_argument);
}

TEST(LinkedSource, CanceledWhenAnyParentIsAndNotOtherwise) {
  cancellation_token_source first;
  cancellation_token_source second;
  auto linked = cancellation_token_source::create_linked(first.token(), second.token(), cancellation_token::none());
  EXPECT_FALSE(linked.is_cancellation_requested());
  int ran = 0;
  auto registration = linked.token().register_callback([&ran] { ++ran; });
  second.cancel();
  EXPECT_TRUE(linked.is_cancellation_requested());
  EXPECT_FALSE(first.is_cancellation_requested());
  first.cancel();
  EXPECT_EQ(ran, 1);
  // Canceling the linked source does not cancel its parents.
  cancellation_token_source parent;
  auto child = cancellation_token_source::create_linked(parent.token());
  child.cancel();
  EXPECT_FALSE(parent.is_cancellation_requested());
}

TEST(LinkedSource, AlreadyCanceledParentCancelsAtOnceAndDestructionUnlinks) {
  cancellation_token_source canceled;
  canceled.cancel();
  auto linked = cancellation_token_source::create_linked(canceled.token());
  EXPECT_TRUE(linked.is_cancellation_requested());

  cancellation_token_source parent;
  cancellation_token orphan;
  {
    auto child = cancellation_token_source::create_linked(parent.token());
    orphan = child.token();
  }  // the child source unregistered from the parent
  parent.cancel();
  EXPECT_FALSE(orphan.is_cancellation_requested());
}

TEST(LinkedSource, ExceptionsOfLinkedCallbacksReachTheParentsCancel) {
  cancellation_token_source parent;
  auto child = cancellation_token_source::create_linked(parent.token());
  auto registration = child.token().register_callback([] { throw std::runtime_error("in child"); });
  try {
    parent.cancel();
    FAIL() << "no exception";
  } catch (const tpl::aggregate_exception& error) {
    const auto flat = error.flatten();
    ASSERT_EQ(flat.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(flat.inner_exceptions()[0]), std::runtime_error);
  }
}

TEST(MovedFromSource, ThrowsInvalidOperation) {
  cancellation_token_source source;
  cancellation_token_source taken = std::move(source);
  EXPECT_THROW((void)source.token(), tpl::invalid_operation);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(source.cancel(), tpl::invalid_operation);
  taken.cancel();
  EXPECT_TRUE(taken.is_cancellation_requested());
}

TEST(StopTokenInterop, LinkedSourceFollowsAStopSource) {
  std::stop_source stop;
  auto linked = tpl::linked_source(stop.get_token());
  EXPECT_FALSE(linked.is_cancellation_requested());
  stop.request_stop();
  EXPECT_TRUE(linked.is_cancellation_requested());
  auto never = tpl::linked_source(std::stop_token{});
  EXPECT_FALSE(never.is_cancellation_requested());
}

TEST(StopTokenInterop, StopSourceLinkFollowsAToken) {
  cancellation_token_source source;
  tpl::stop_source_link link(source.token());
  std::stop_token stop = link.get_token();
  EXPECT_TRUE(stop.stop_possible());
  EXPECT_FALSE(stop.stop_requested());
  bool stopped = false;
  std::stop_callback on_stop(stop, [&stopped] { stopped = true; });
  source.cancel();
  EXPECT_TRUE(stop.stop_requested());
  EXPECT_TRUE(stopped);
}

}  // namespace

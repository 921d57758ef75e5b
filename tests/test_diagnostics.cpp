// tpl::diagnostics: snapshots of live tasks (status, creation site, await graph), pools and
// cancellation sources; the deadlock report on a stalled 1-worker pool; the tracer interface.
// An executable of its own: recording is process-wide.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/deadlock_report.hpp"
#include "tpl/diagnostics.hpp"
#include "tpl/diagnostics_tracer.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/yield.hpp"

namespace {

using namespace tpl;
namespace diag = tpl::diagnostics;

// Turns recording on for one test, and off again whatever happens.
struct recording_on {
  recording_on() { diag::enable(); }
  ~recording_on() { diag::disable(); }
  recording_on(const recording_on&) = delete;
  recording_on& operator=(const recording_on&) = delete;
};

task<int> coroutine_waiting_for(task<int> input) {
  const int value = co_await input;
  co_return value + 1;
}

bool function_name_contains(const diag::task_info& task, const char* part) {
  return std::strstr(task.created_at.function_name(), part) != nullptr;
}

TEST(Diagnostics, SnapshotListsAPendingCoroutineWithItsSiteAndWhatItAwaits) {
  recording_on on;
  task_completion_source<int> source;
  const unsigned source_line = __LINE__ - 1;
  task<int> waiting = coroutine_waiting_for(source.task());

  const diag::program_snapshot before = diag::snapshot();
  EXPECT_TRUE(before.recording);
  const diag::task_info* coroutine = nullptr;
  const diag::task_info* completion = nullptr;
  for (const diag::task_info& task : before.tasks) {
    if (task.origin == diag::task_origin::coroutine && function_name_contains(task, "coroutine_waiting_for")) coroutine = &task;
    if (task.origin == diag::task_origin::completion_source && task.created_at.line() == source_line) completion = &task;
  }
  ASSERT_NE(coroutine, nullptr) << before.to_json();
  ASSERT_NE(completion, nullptr) << before.to_json();
  EXPECT_EQ(coroutine->status, task_status::waiting_for_activation);
  EXPECT_EQ(completion->status, task_status::waiting_for_activation);
  ASSERT_TRUE(coroutine->waiting_for.has_value());
  EXPECT_EQ(*coroutine->waiting_for, completion->id);  // the await graph's edge
  EXPECT_EQ(completion->awaiters, 1u);
  EXPECT_LT(completion->sequence, coroutine->sequence);
  const std::string json = before.to_json();
  EXPECT_NE(json.find("\"status\":\"waiting_for_activation\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"origin\":\"completion_source\""), std::string::npos) << json;

  source.set_result(41);
  EXPECT_EQ(waiting.get(), 42);
  const diag::program_snapshot after = diag::snapshot();
  for (const diag::task_info& task : after.tasks) {
    if (task.id == completion->id && task.sequence == completion->sequence) {
      EXPECT_EQ(task.status, task_status::ran_to_completion);
      EXPECT_EQ(task.awaiters, 0u);
    }
    if (task.sequence == coroutine->sequence) {
      EXPECT_FALSE(task.waiting_for.has_value());
    }
  }
}

TEST(Diagnostics, DestroyedTasksLeaveTheSnapshot) {
  recording_on on;
  std::uint64_t sequence = 0;
  {
    task_completion_source<void> source;
    const diag::program_snapshot with = diag::snapshot();
    ASSERT_FALSE(with.tasks.empty());
    sequence = with.tasks.back().sequence;
    source.set_result();
  }
  for (const diag::task_info& task : diag::snapshot().tasks) EXPECT_NE(task.sequence, sequence);
}

TEST(Diagnostics, TasksMadeWhileRecordingIsOffAreNotListed) {
  ASSERT_FALSE(diag::is_enabled());
  task_completion_source<int> unrecorded;
  const diag::program_snapshot off = diag::snapshot();
  EXPECT_FALSE(off.recording);
  EXPECT_TRUE(off.tasks.empty()) << off.to_json();
  recording_on on;
  EXPECT_TRUE(diag::snapshot().tasks.empty());  // still pending, but made before enable()
  unrecorded.set_result(1);
}

TEST(Diagnostics, ContinuationNamesItsAntecedentAndRunItsCallSite) {
  recording_on on;
  thread_pool pool(1);
  std::promise<void> blocker_started;
  std::promise<void> release_worker;
  std::shared_future<void> released = release_worker.get_future().share();
  task<void> blocker = run(pool, [&blocker_started, released] {
    blocker_started.set_value();
    released.wait();
  });
  blocker_started.get_future().wait();  // the worker is busy: what follows stays queued
  task<int> antecedent = run(pool, [] { return 1; });
  const unsigned run_line = __LINE__ - 1;
  task<int> continuation = continue_with(antecedent, [](const task<int>& done) { return done.get() + 1; });
  const unsigned continue_line = __LINE__ - 1;

  const diag::program_snapshot snap = diag::snapshot();
  const diag::task_info* queued = nullptr;
  const diag::task_info* dependent = nullptr;
  for (const diag::task_info& task : snap.tasks) {
    if (task.origin == diag::task_origin::run && task.created_at.line() == run_line) queued = &task;
    if (task.origin == diag::task_origin::continuation && task.created_at.line() == continue_line) dependent = &task;
  }
  ASSERT_NE(queued, nullptr) << snap.to_json();
  ASSERT_NE(dependent, nullptr) << snap.to_json();
  EXPECT_EQ(queued->status, task_status::waiting_to_run);  // the only worker is blocked
  EXPECT_EQ(queued->continuations, 1u);
  ASSERT_TRUE(dependent->waiting_for.has_value());
  EXPECT_EQ(*dependent->waiting_for, queued->id);
  EXPECT_NE(std::strstr(queued->created_at.file_name(), "test_diagnostics.cpp"), nullptr);

  // The pool: its one worker runs the blocker, one item waits in the global queue.
  const diag::pool_info* mine = nullptr;
  for (const diag::pool_info& listed : snap.pools) {
    if (listed.pool == &pool) mine = &listed;
  }
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->worker_count, 1u);
  EXPECT_EQ(mine->global_queue_length, 1);
  ASSERT_EQ(mine->workers.size(), 1u);

  release_worker.set_value();
  EXPECT_EQ(continuation.get(), 2);
}

TEST(Diagnostics, AWorkerRunningAnItemIsReportedRunning) {
  thread_pool pool(1);
  std::promise<void> started;
  std::promise<void> release_worker;
  std::shared_future<void> released = release_worker.get_future().share();
  task<void> busy = run(pool, [&started, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  const diag::program_snapshot snap = diag::snapshot();
  bool found = false;
  for (const diag::pool_info& listed : snap.pools) {
    if (listed.pool != &pool) continue;
    found = true;
    ASSERT_EQ(listed.workers.size(), 1u);
    EXPECT_EQ(listed.workers[0].activity, diag::worker_activity::running) << snap.to_json();
  }
  EXPECT_TRUE(found);
  release_worker.set_value();
  busy.wait();
}

TEST(Diagnostics, CancellationSourcesReportTheirLiveRegistrations) {
  recording_on on;
  cancellation_token_source source;
  auto first = source.token().register_callback([] {});
  auto second = source.token().register_callback([] {});
  auto count_for = [&]() -> std::optional<diag::cancellation_source_info> {
    for (const auto& listed : diag::snapshot().cancellation_sources) {
      if (!listed.cancellation_requested) return listed;
    }
    return std::nullopt;
  };
  const auto with_two = count_for();
  ASSERT_TRUE(with_two.has_value());
  EXPECT_EQ(with_two->registrations, 2u);
  EXPECT_TRUE(first.unregister());
  EXPECT_EQ(count_for()->registrations, 1u);
  source.cancel();
  const auto snap = diag::snapshot();
  ASSERT_EQ(snap.cancellation_sources.size(), 1u) << snap.to_json();
  EXPECT_TRUE(snap.cancellation_sources[0].cancellation_requested);
  EXPECT_EQ(snap.cancellation_sources[0].registrations, 0u);
}

// A task on a 1-worker pool without spare threads queues work, then blocks on a continuation of
// it: the work sits below the wait in the worker's own deque, and nothing else can run it.
TEST(Diagnostics, DeadlockOnAOneWorkerPoolIsReportedWithBothCreationSites) {
  recording_on on;
  std::promise<diag::deadlock_report> reported;
  cancellation_token_source give_up;
  diag::set_deadlock_handler([&](const diag::deadlock_report& report) {
    reported.set_value(report);
    give_up.cancel();  // lets the blocked wait end, so the test can finish
  });
  thread_pool::options settings;
  settings.worker_count = 1;
  settings.allow_spare_threads = false;
  thread_pool pool(settings);
  unsigned queued_line = 0;
  unsigned continuation_line = 0;
  task<bool> outer = run(pool, [&] {
    task<int> queued = run(pool, [] { return 7; });
    queued_line = __LINE__ - 1;
    task<int> needs_it = continue_with(queued, [](const task<int>& done) { return done.get(); });
    continuation_line = __LINE__ - 1;
    needs_it.wait(give_up.token());  // throws operation_canceled once the handler cancels
    return true;
  });
  EXPECT_THROW(outer.get(), aggregate_exception);
  diag::set_deadlock_handler({});
  const diag::deadlock_report report = reported.get_future().get();
  EXPECT_EQ(report.pool, &pool);
  EXPECT_EQ(report.worker, 0u);
  ASSERT_TRUE(report.awaited.has_value());
  ASSERT_TRUE(report.stuck.has_value());
  EXPECT_EQ(report.awaited->origin, diag::task_origin::continuation);
  EXPECT_EQ(report.awaited->created_at.line(), continuation_line);
  EXPECT_EQ(report.stuck->origin, diag::task_origin::run);
  EXPECT_EQ(report.stuck->created_at.line(), queued_line);
  EXPECT_EQ(report.stuck->status, task_status::waiting_to_run);
  EXPECT_NE(report.message.find("deadlock"), std::string::npos);
  EXPECT_NE(report.message.find(std::to_string(queued_line)), std::string::npos) << report.message;
}

// With spare threads allowed the same program does not deadlock, and nothing is reported.
TEST(Diagnostics, NoReportWhenASpareThreadCanRunTheQueuedWork) {
  recording_on on;
  std::atomic<int> reports{0};
  diag::set_deadlock_handler([&](const diag::deadlock_report&) { reports.fetch_add(1); });
  thread_pool pool(1);
  task<int> outer = run(pool, [&pool] {
    task<int> queued = run(pool, [] { return 7; });
    task<int> needs_it = continue_with(queued, [](const task<int>& done) { return done.get(); });
    return needs_it.get();
  });
  EXPECT_EQ(outer.get(), 7);
  diag::set_deadlock_handler({});
  EXPECT_EQ(reports.load(), 0);
}

class counting_tracer : public diag::tracer {
 public:
  std::atomic<int> created{0}, started{0}, completed{0}, continued{0}, items_started{0}, items_finished{0};
  void task_created(diag::task_id, diag::task_origin origin, const std::source_location&) noexcept override {
    if (origin == diag::task_origin::run) created.fetch_add(1);
  }
  void task_started(diag::task_id) noexcept override { started.fetch_add(1); }
  void task_completed(diag::task_id, task_status) noexcept override { completed.fetch_add(1); }
  void task_continued(diag::task_id) noexcept override { continued.fetch_add(1); }
  // Items of `counted_pool` only: the tracer is process-wide, and an item another pool (the
  // default pool, busy with an earlier test's leftovers) starts while the tracer is installed
  // may finish after it is removed. Under TSan that made 51 starts against 50 finishes.
  const thread_pool* counted_pool = nullptr;
  void item_started(const thread_pool& pool, std::size_t, work_source) noexcept override {
    if (&pool == counted_pool) items_started.fetch_add(1);
  }
  void item_finished(const thread_pool& pool, std::size_t) noexcept override {
    if (&pool == counted_pool) items_finished.fetch_add(1);
  }
};

TEST(Diagnostics, TracerSeesEveryRunTaskCreatedStartedAndCompleted) {
  counting_tracer observer;
  {
    thread_pool pool(2);
    observer.counted_pool = &pool;
    diag::set_tracer(&observer);
    constexpr int count = 50;
    std::vector<task<int>> tasks;
    for (int index = 0; index + 1 < count; ++index) tasks.push_back(run(pool, [index] { return index; }));
    // The last one completes only after its continuation is registered, so that its completion
    // runs the continuation (task_continued); a continuation registered on a task already
    // complete is scheduled at once instead, and under TSan that race was lost now and then.
    std::promise<void> gate;
    std::shared_future<void> opened = gate.get_future().share();
    tasks.push_back(run(pool, [opened] {
      opened.wait();
      return count - 1;
    }));
    task<int> last = continue_with(tasks.back(), [](const task<int>& done) { return done.get(); });
    gate.set_value();
    for (auto& each : tasks) each.wait();
    last.wait();
    pool.shutdown();
    diag::set_tracer(nullptr);
    EXPECT_EQ(observer.created.load(), count);
    EXPECT_GE(observer.started.load(), count + 1);    // the run tasks and the continuation
    EXPECT_GE(observer.completed.load(), count + 1);
    EXPECT_GE(observer.continued.load(), 1);          // the last task ran its continuation
    EXPECT_GE(observer.items_started.load(), count);
    EXPECT_EQ(observer.items_started.load(), observer.items_finished.load());
  }
}

// set_tracer returns only once no call into the tracer it replaced is in flight (a first version
// did not wait, and a test's tracer, destroyed after set_tracer(nullptr), was still called by the
// default pool's idle workers: TSan found it). Here a call blocks inside the tracer until the
// main thread lets it go; the thread that removes the tracer checks, when set_tracer returns,
// that the call has left. A set_tracer that does not wait returns while the call is blocked.
class blocking_tracer : public diag::tracer {
 public:
  std::promise<void> entered;
  std::promise<void> release;
  std::atomic<bool> left{false};
  std::atomic<bool> first{true};
  void item_started(const thread_pool&, std::size_t, work_source) noexcept override {
    if (!first.exchange(false)) return;
    entered.set_value();
    release.get_future().wait();
    left.store(true);
  }
};

TEST(Diagnostics, SetTracerWaitsForCallsInFlight) {
  blocking_tracer observer;
  thread_pool pool(1);
  diag::set_tracer(&observer);
  pool.submit([] {});
  observer.entered.get_future().wait();  // a worker is inside the tracer now
  std::promise<void> remover_started;
  auto removed = std::async(std::launch::async, [&] {
    remover_started.set_value();
    diag::set_tracer(nullptr);
    return observer.left.load();  // must be true: the call ended before set_tracer returned
  });
  remover_started.get_future().wait();
  // A set_tracer that does not wait has, by now, almost always returned (and recorded false);
  // give it the time slices it needs without a timed sleep.
  for (int round = 0; round < 1000; ++round) std::this_thread::yield();
  observer.release.set_value();
  EXPECT_TRUE(removed.get());
  pool.shutdown();
}

TEST(Diagnostics, SetTracerFromInsideATracerMethodThrows) {
  struct reentrant_tracer : diag::tracer {
    std::promise<bool> threw;
    std::atomic<bool> first{true};
    void item_started(const thread_pool&, std::size_t, work_source) noexcept override {
      if (!first.exchange(false)) return;
      try {
        diag::set_tracer(nullptr);
        threw.set_value(false);
      } catch (const invalid_operation&) {
        threw.set_value(true);
      }
    }
  } observer;
  thread_pool pool(1);
  diag::set_tracer(&observer);
  pool.submit([] {});
  EXPECT_TRUE(observer.threw.get_future().get());
  diag::set_tracer(nullptr);
  pool.shutdown();
}

TEST(Diagnostics, EnableTwiceAndDisableAreIdempotent) {
  diag::enable();
  diag::enable();
  EXPECT_TRUE(diag::is_enabled());
  diag::disable();
  diag::disable();
  EXPECT_FALSE(diag::is_enabled());
}

// Issue 29, defect 3: a worker waits on a coroutine whose resumption is queued behind the wait
// in its own deque (by a pool switch or a yield). Before, nothing was reported: a coroutine task
// has no queued item of its own. The report now matches the queued resumption to the frame.
task<int> hops_onto(thread_pool& pool) {
  co_await pool.schedule();
  co_return 5;
}
task<int> yields_once() {
  co_await tpl::yield();
  co_return 6;
}

// Runs `blocking_wait(pool, token)` on the only worker of a pool without spare threads, with a
// deadlock handler that records the report and cancels `token` (so the wait ends), and returns
// the report.
diag::deadlock_report report_of_stalled_wait(
    const std::function<void(thread_pool&, const cancellation_token&)>& blocking_wait) {
  std::promise<diag::deadlock_report> reported;
  cancellation_token_source give_up;
  diag::set_deadlock_handler([&](const diag::deadlock_report& report) {
    reported.set_value(report);
    give_up.cancel();
  });
  thread_pool::options settings;
  settings.worker_count = 1;
  settings.allow_spare_threads = false;
  thread_pool pool(settings);
  task<bool> outer = run(pool, [&] {
    blocking_wait(pool, give_up.token());  // throws operation_canceled once the handler cancels
    return true;
  });
  EXPECT_THROW(outer.get(), aggregate_exception);
  diag::set_deadlock_handler({});
  return reported.get_future().get();
}

diag::deadlock_report report_of_wait_on_coroutine(bool by_yield) {
  recording_on on;
  return report_of_stalled_wait([by_yield](thread_pool& pool, const cancellation_token& token) {
    task<int> coroutine = by_yield ? yields_once() : hops_onto(pool);
    coroutine.wait(token);  // its resumption waits below this wait in the only deque
  });
}

TEST(Diagnostics, DeadlockOnACoroutineWhosePoolSwitchIsQueuedBehindTheWaitIsReported) {
  const diag::deadlock_report report = report_of_wait_on_coroutine(false);
  ASSERT_TRUE(report.stuck.has_value()) << report.message;
  EXPECT_EQ(report.stuck->origin, diag::task_origin::coroutine);
  EXPECT_TRUE(function_name_contains(*report.stuck, "hops_onto")) << report.message;
  EXPECT_NE(report.message.find("deadlock"), std::string::npos);
}

TEST(Diagnostics, DeadlockOnACoroutineWhoseYieldIsQueuedBehindTheWaitIsReported) {
  const diag::deadlock_report report = report_of_wait_on_coroutine(true);
  ASSERT_TRUE(report.stuck.has_value()) << report.message;
  EXPECT_TRUE(function_name_contains(*report.stuck, "yields_once")) << report.message;
}

// Issue 28, item 7: with recording off the report still names the pool and the blocked worker
// (the task graph needs recording).
TEST(Diagnostics, DeadlockIsReportedWithTheWorkerWhenRecordingIsOff) {
  ASSERT_FALSE(diag::is_enabled());
  thread_pool* used = nullptr;
  const diag::deadlock_report report = report_of_stalled_wait([&used](thread_pool& pool, const cancellation_token& token) {
    used = &pool;
    task<int> queued = run(pool, [] { return 7; });
    task<int> needs_it = continue_with(queued, [](const task<int>& done) { return done.get(); });
    needs_it.wait(token);
  });
  EXPECT_EQ(report.pool, used);
  EXPECT_EQ(report.worker, 0u);
  EXPECT_FALSE(report.awaited.has_value());
  EXPECT_NE(report.message.find("worker 0"), std::string::npos) << report.message;
  EXPECT_NE(report.message.find("enable()"), std::string::npos) << report.message;
}

// Issue 29, defect 6: to_json() copied bytes that are not UTF-8 (a Latin-1 file name) into its
// output, which strict parsers reject. Python's json module, on strictly decoded UTF-8, parses it.
task<int> coroutine_from_a_latin1_file(task<int> input);

TEST(Diagnostics, JsonOfALatin1FileNameIsValidUtf8ForAStrictParser) {
  recording_on on;
  task_completion_source<int> source;
  task<int> waiting = coroutine_from_a_latin1_file(source.task());
  const std::string json = diag::snapshot().to_json();
  EXPECT_NE(json.find("latin1_caf\\ufffd.cpp"), std::string::npos) << json;
  const std::string path = ::testing::TempDir() + "tpl_snapshot.json";
  {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::fwrite(json.data(), 1, json.size(), file);
    std::fclose(file);
  }
  const std::string check = "/usr/bin/python3 -c \"import json,sys; json.loads(open(sys.argv[1],'rb').read().decode('utf-8'))\" " + path;
  EXPECT_EQ(std::system(check.c_str()), 0) << "a strict parser rejected: " << json;
  std::remove(path.c_str());
  source.set_result(1);
  EXPECT_EQ(waiting.get(), 1);
}

}  // namespace

// Made under a file name that is Latin-1, not UTF-8 ("caf\xe9"), for the JSON test above. Last
// in the file: the #line directive renames everything after it.
#line 1 "latin1_caf\xe9.cpp"
namespace {
tpl::task<int> coroutine_from_a_latin1_file(tpl::task<int> input) { co_return co_await input; }
}  // namespace

// tpl::thread_pool: scheduling order, shutdown, misuse errors, exceptions, counters.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tpl/thread_pool.hpp>
#include <vector>

namespace {

// Records the order in which items ran, and from where, on any thread.
struct order_log {
  std::mutex mutex;
  std::vector<std::string> names;
  std::vector<tpl::work_source> sources;
  void add(std::string name) {
    std::lock_guard lock(mutex);
    names.push_back(std::move(name));
  }
};

TEST(ThreadPool, RunsSubmittedWorkFromOutside) {
  tpl::thread_pool pool(2);
  std::atomic<int> ran{0};
  std::latch all_done(100);
  for (int item = 0; item < 100; ++item) {
    pool.submit([&] {
      ran.fetch_add(1);
      all_done.count_down();
    });
  }
  all_done.wait();
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPool, WorkerCountDefaultsToHardwareAndIsAtLeastOne) {
  tpl::thread_pool pool;
  EXPECT_GE(pool.worker_count(), 1u);
  EXPECT_EQ(pool.worker_count(), std::max(1u, std::thread::hardware_concurrency()));
  tpl::thread_pool three(3);
  EXPECT_EQ(three.worker_count(), 3u);
}

TEST(ThreadPool, LocalWorkRunsNewestFirst) {
  order_log log;
  std::latch done(1);
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.observer = [&](std::size_t, tpl::work_source source) {
    std::lock_guard lock(log.mutex);
    log.sources.push_back(source);
  };
  tpl::thread_pool pool(settings);
  pool.submit([&] {
    // From a worker, submissions go to its own deque and run after this item, newest first.
    pool.submit([&] { log.add("A"); });
    pool.submit([&] { log.add("B"); });
    pool.submit([&] {
      log.add("C");
    });
    pool.submit([&] { done.count_down(); });
  });
  done.wait();
  pool.shutdown();
  EXPECT_EQ(log.names, (std::vector<std::string>{"C", "B", "A"}));
  ASSERT_EQ(log.sources.size(), 5u);
  EXPECT_EQ(log.sources[0], tpl::work_source::global);  // the outer item came from outside
  for (std::size_t index = 1; index < 5; ++index) EXPECT_EQ(log.sources[index], tpl::work_source::local);
}

TEST(ThreadPool, GlobalQueueRunsOldestFirst) {
  order_log log;
  std::latch gate(1);
  std::latch started(1);
  tpl::thread_pool pool(1);
  pool.submit([&] {
    started.count_down();
    gate.wait();  // hold the only worker while the queue fills
  });
  started.wait();
  for (const char* name : {"X", "Y", "Z"}) pool.submit([&log, name] { log.add(name); });
  gate.count_down();
  pool.shutdown();  // drains
  EXPECT_EQ(log.names, (std::vector<std::string>{"X", "Y", "Z"}));
}

TEST(ThreadPool, ThievesStealOldestFirst) {
  order_log log;
  std::vector<std::size_t> runners;
  std::atomic<bool> pushed{false};
  std::latch stolen_all(3);
  std::atomic<std::size_t> pusher{99};
  tpl::thread_pool::options settings;
  settings.worker_count = 2;
  tpl::thread_pool pool(settings);
  // One worker waits (spinning, not blocking on the pool) until the other has pushed A, B, C
  // onto its own deque and blocked; then the waiting worker has nothing of its own and steals.
  pool.submit([&] {
    while (!pushed.load()) std::this_thread::yield();
  });
  pool.submit([&] {
    pusher = tpl::detail::current_worker()->index();
    for (const char* name : {"A", "B", "C"}) {
      pool.submit([&log, &stolen_all, &runners, name] {
        {
          std::lock_guard lock(log.mutex);
          runners.push_back(tpl::detail::current_worker()->index());
        }
        log.add(name);
        stolen_all.count_down();
      });
    }
    pushed.store(true);
    stolen_all.wait();  // only a thief can run them now
  });
  stolen_all.wait();
  pool.shutdown();
  EXPECT_EQ(log.names, (std::vector<std::string>{"A", "B", "C"}));
  for (std::size_t runner : runners) EXPECT_NE(runner, pusher.load());
  const auto counters = pool.counters();
  EXPECT_EQ(counters[1 - pusher.load()].stolen, 3u);
}

TEST(ThreadPool, ShutdownRunsEverythingQueuedIncludingWhatItForks) {
  std::atomic<int> ran{0};
  {
    tpl::thread_pool pool(2);
    for (int item = 0; item < 200; ++item) {
      pool.submit([&] {
        ran.fetch_add(1);
        tpl::thread_pool* self = &tpl::detail::current_worker()->pool();
        self->submit([&] { ran.fetch_add(1); });  // forked while the pool may be shutting down
      });
    }
  }  // destructor: drain, join
  EXPECT_EQ(ran.load(), 400);
}

TEST(ThreadPoolMisuse, SubmitAfterShutdownThrows) {
  tpl::thread_pool pool(1);
  pool.shutdown();
  EXPECT_THROW(pool.submit([] {}), tpl::invalid_operation);
  pool.shutdown();  // a second shutdown does nothing
}

TEST(ThreadPoolMisuse, NullCallableThrows) {
  tpl::thread_pool pool(1);
  EXPECT_THROW(pool.submit(std::function<void()>{}), std::invalid_argument);
  void (*no_function)() = nullptr;
  EXPECT_THROW(pool.submit(no_function), std::invalid_argument);
}

TEST(ThreadPoolMisuse, ShutdownFromOwnWorkerThrows) {
  tpl::thread_pool pool(1);
  std::promise<bool> threw;
  pool.submit([&] {
    try {
      pool.shutdown();
      threw.set_value(false);
    } catch (const tpl::invalid_operation&) {
      threw.set_value(true);
    }
  });
  EXPECT_TRUE(threw.get_future().get());
}

TEST(ThreadPool, ExceptionFromSubmittedWorkReachesTheHandler) {
  std::promise<std::string> reported;
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.on_unhandled_exception = [&](std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& caught) {
      reported.set_value(caught.what());
    }
  };
  tpl::thread_pool pool(settings);
  pool.submit([] { throw std::runtime_error("boom"); });
  EXPECT_EQ(reported.get_future().get(), "boom");
}

TEST(ThreadPoolDeathTest, DefaultHandlerReportsAndTerminates) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        tpl::thread_pool pool(1);
        pool.submit([] { throw std::runtime_error("nobody caught this"); });
        pool.shutdown();
      },
      "unhandled exception in submitted work: nobody caught this");
}

TEST(ThreadPool, CountersAddUp) {
  tpl::thread_pool pool(2);
  std::latch done(50);
  for (int item = 0; item < 50; ++item) pool.submit([&] { done.count_down(); });
  done.wait();
  pool.shutdown();
  std::uint64_t executed = 0;
  for (const auto& each : pool.counters()) executed += each.executed;
  EXPECT_EQ(executed, 50u);  // every item counted once, by the worker that ran it
}

TEST(ThreadPool, AThrowingObserverDoesNotStopTheItem) {
  std::promise<void> reported;
  std::atomic<int> ran{0};
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.observer = [](std::size_t, tpl::work_source) { throw std::runtime_error("observer"); };
  settings.on_unhandled_exception = [&](std::exception_ptr) {
    if (ran.load() == 0) reported.set_value();
  };
  tpl::thread_pool pool(settings);
  pool.submit([&] { ran.fetch_add(1); });
  reported.get_future().wait();
  pool.shutdown();
  EXPECT_EQ(ran.load(), 1);
}

TEST(ThreadPool, CreateAndDestroyInALoop) {
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> ran{0};
    {
      tpl::thread_pool pool(2);
      pool.submit([&] { ran.fetch_add(1); });
    }
    ASSERT_EQ(ran.load(), 1);
  }
}

// Issue 29, defect 4: two threads calling shutdown() both passed a plain flag and joined the
// same threads (a hang). The second caller now waits for the first. Each round starts the two
// callers together; a hang is caught by the deadline, which only detects it.
TEST(ThreadPool, ShutdownFromTwoThreadsAtOnceReturnsInBoth) {
  for (int round = 0; round < 100; ++round) {
    tpl::thread_pool pool(2);
    std::atomic<int> ran{0};
    for (int item = 0; item < 8; ++item) pool.submit([&ran] { ran.fetch_add(1); });
    std::latch start(2);
    std::promise<void> first_done;
    std::promise<void> second_done;
    std::thread first([&] {
      start.arrive_and_wait();
      pool.shutdown();
      first_done.set_value();
    });
    std::thread second([&] {
      start.arrive_and_wait();
      pool.shutdown();
      second_done.set_value();
    });
    const bool returned = first_done.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready &&
                          second_done.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready;
    if (!returned) {
      ADD_FAILURE() << "round " << round << ": a shutdown() call never returned";
      std::fflush(nullptr);
      std::_Exit(1);  // the callers are stuck in join(): nothing can end them
    }
    first.join();
    second.join();
    EXPECT_EQ(ran.load(), 8);  // shutdown ran everything queued
  }
}

// Issue 28, item 6: thread_pool(std::size_t(-1)) crashed (its seat count overflowed).
TEST(ThreadPool, AbsurdWorkerCountsThrowInvalidArgument) {
  EXPECT_THROW(tpl::thread_pool(std::size_t(-1)), std::invalid_argument);
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.max_spare_threads = std::size_t(-1);
  EXPECT_THROW(tpl::thread_pool{settings}, std::invalid_argument);
}

}  // namespace

// Stress of tpl's cancellation for ThreadSanitizer and AddressSanitizer+UBSan (+LeakSanitizer):
//   1. threads registering, unregistering and cancelling one source at once, round after round:
//      a callback runs exactly once unless unregister() removed it, and then never;
//   2. registrations destroyed while their callbacks run on the cancelling thread: after the
//      destructor returns the callback has finished (the destroying thread then writes what the
//      callback wrote: a race if it had not waited);
//   3. chains of linked sources canceled at the root while callbacks register at the leaves;
//   4. many tasks canceled while running (polling their token) or while queued;
//   5. many cancel_after timers racing re-arming and destruction.
// Synchronisation is on events (joins, latches, task completion), never on sleeps.
//
// Usage: stress_cancellation [rounds]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

namespace {

int failures = 0;
void check(bool condition, const char* what) {
  if (!condition) {
    if (failures < 5) std::fprintf(stderr, "stress_cancellation: FAILED: %s\n", what);
    ++failures;
  }
}

void register_unregister_cancel(int rounds) {
  constexpr int registrants = 3;
  constexpr int per_registrant = 40;
  for (int round = 0; round < rounds; ++round) {
    tpl::cancellation_token_source source;
    // One plain counter per callback: a double run is a wrong count and, under TSan, a race.
    std::vector<int> runs(registrants * per_registrant, 0);
    std::vector<char> removed(registrants * per_registrant, 0);
    std::latch start(registrants + 1);
    std::vector<std::thread> threads;
    // Kept until every thread joined: destroying a registration would unregister it.
    std::vector<std::vector<tpl::cancellation_registration>> kept(registrants);
    for (int registrant = 0; registrant < registrants; ++registrant) {
      threads.emplace_back([&, registrant] {
        start.arrive_and_wait();
        std::vector<tpl::cancellation_registration>& mine = kept[static_cast<std::size_t>(registrant)];
        for (int index = 0; index < per_registrant; ++index) {
          const int slot = registrant * per_registrant + index;
          mine.push_back(source.token().register_callback([&runs, slot] { ++runs[static_cast<std::size_t>(slot)]; }));
          if (index % 3 == 1) removed[static_cast<std::size_t>(slot)] = mine.back().unregister() ? 1 : 0;
        }
      });
    }
    threads.emplace_back([&] {
      start.arrive_and_wait();
      source.cancel();
    });
    for (auto& thread : threads) thread.join();
    kept.clear();
    for (std::size_t slot = 0; slot < runs.size(); ++slot) {
      check(runs[slot] == (removed[slot] != 0 ? 0 : 1), "runs exactly once unless removed, then never");
    }
  }
}

void dispose_waits_for_running_callback(int rounds) {
  for (int round = 0; round < rounds; ++round) {
    tpl::cancellation_token_source source;
    int shared = 0;  // written by the callback, then by the disposer: ordered only by the wait
    auto registration = std::make_unique<tpl::cancellation_registration>(
        source.token().register_callback([&shared] { shared += 1; }));
    std::thread canceller([&] { source.cancel(); });
    registration.reset();
    shared += 10;
    canceller.join();
    check(shared == 10 || shared == 11, "the disposer ran after the callback or instead of it");
  }
}

void linked_chains(int rounds) {
  for (int round = 0; round < rounds; ++round) {
    tpl::cancellation_token_source root;
    auto middle = tpl::cancellation_token_source::create_linked(root.token());
    auto leaf = tpl::cancellation_token_source::create_linked(middle.token());
    std::atomic<int> runs{0};
    std::vector<tpl::cancellation_registration> registrations;
    std::thread canceller([&] { root.cancel(); });
    for (int index = 0; index < 20; ++index) {
      registrations.push_back(leaf.token().register_callback([&runs] { runs.fetch_add(1, std::memory_order_relaxed); }));
    }
    canceller.join();
    check(leaf.is_cancellation_requested(), "a leaf of a canceled root is canceled");
    check(runs.load() == 20, "every leaf callback ran once");
  }
}

void tasks_canceled_while_running_or_queued(int count) {
  tpl::thread_pool pool(3);
  tpl::cancellation_token_source source;
  const tpl::cancellation_token token = source.token();
  std::latch some_started(3);
  std::vector<tpl::task<int>> tasks;
  for (int index = 0; index < count; ++index) {
    tasks.push_back(tpl::run(pool, [token, &some_started, index]() -> int {
      if (index < 3) some_started.count_down();
      for (;;) {
        token.throw_if_cancellation_requested();  // cooperative: polls until canceled
        std::this_thread::yield();
      }
    }, token));
  }
  some_started.wait();
  source.cancel();
  int canceled = 0;
  for (auto& each : tasks) {
    try {
      each.wait();
    } catch (const tpl::aggregate_exception&) {
    }
    if (each.is_canceled()) ++canceled;
  }
  check(canceled == count, "every running or queued task ended canceled");
}

void timers(int count) {
  std::vector<std::unique_ptr<tpl::cancellation_token_source>> sources;
  std::vector<std::future<void>> fired;
  std::vector<std::unique_ptr<std::promise<void>>> promises;
  std::vector<tpl::cancellation_registration> registrations;
  for (int index = 0; index < count; ++index) {
    sources.push_back(std::make_unique<tpl::cancellation_token_source>());
    promises.push_back(std::make_unique<std::promise<void>>());
    fired.push_back(promises.back()->get_future());
    registrations.push_back(sources.back()->token().register_callback([promise = promises.back().get()] { promise->set_value(); }));
    sources.back()->cancel_after(std::chrono::hours(1));
    std::thread rearm([source = sources.back().get(), index] { source->cancel_after(std::chrono::microseconds(index % 50)); });
    rearm.join();
  }
  for (auto& each : fired) each.wait();  // every re-armed deadline fired
  // Sources destroyed with armed timers: nothing fires afterwards, nothing leaks.
  for (int index = 0; index < count; ++index) {
    tpl::cancellation_token_source doomed;
    doomed.cancel_after(std::chrono::milliseconds(index % 3));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 300;
  register_unregister_cancel(rounds);
  dispose_waits_for_running_callback(rounds);
  linked_chains(rounds);
  tasks_canceled_while_running_or_queued(200);
  timers(rounds);
  if (failures != 0) return 1;
  std::puts("stress_cancellation: all checks passed");
  return 0;
}

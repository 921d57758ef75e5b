// Relacy self-checks of the tpl::sync facade: that the Relacy backend really hands each memory
// order to the checker (a relaxed publication must be reported, a release/acquire one must
// not), that cells are race-checked, that a CAS with a failure order stronger than its
// success order is rejected, and that a fiber switched out inside a catch block rethrows its
// own exception (the exception-state guard). Expected failures are declared through Relacy's
// `expected_result`, so the binary exits 0 only when each check came out as expected.
// All scenarios are tiny: full search.
#include <stdexcept>

#include "support/model_runner.hpp"
#include "tpl/sync/sync.hpp"

namespace {

template <std::memory_order PublishOrder, std::memory_order ConsumeOrder, rl::test_result_e Expected>
struct message_passing : rl::test_suite<message_passing<PublishOrder, ConsumeOrder, Expected>, 2, Expected> {
  tpl::sync::cell<int> payload;
  tpl::sync::atomic<bool> ready;

  void thread(unsigned index) {
    if (index == 0) {
      payload.store(42);
      ready.store(true, PublishOrder);  // the order under test
    } else if (ready.load(ConsumeOrder)) {  // the order under test
      RL_ASSERT(payload.load() == 42);
    }
  }
};

using release_acquire = message_passing<std::memory_order_release, std::memory_order_acquire, rl::test_result_success>;
using relaxed_publish = message_passing<std::memory_order_relaxed, std::memory_order_acquire, rl::test_result_data_race>;
using relaxed_consume = message_passing<std::memory_order_release, std::memory_order_relaxed, rl::test_result_data_race>;

struct cas_failure_stronger_than_success
    : rl::test_suite<cas_failure_stronger_than_success, 2, rl::test_result_user_assert_failed> {
  tpl::sync::atomic<int> word;
  void thread(unsigned index) {
    if (index != 0) return;  // two threads: g++ warns (array-bounds) inside Relacy for one
    int expected = 1;
    (void)word.compare_exchange_strong(expected, 2, std::memory_order_relaxed, std::memory_order_acquire);
  }
};

// Two fibers each catch their own exception, hit a facade operation (a switch point) inside the
// catch block, and rethrow with `throw;`. Without the guard one of them rethrows the other's.
struct rethrow_after_switch : rl::test_suite<rethrow_after_switch, 2> {
  tpl::sync::atomic<int> shared_word;
  void thread(unsigned index) {
    const int mine = static_cast<int>(index) + 1;
    try {
      try {
        throw mine;
      } catch (int) {
        shared_word.fetch_add(1, std::memory_order_relaxed);  // may switch to the other fiber
        throw;
      }
    } catch (int rethrown) {
      RL_ASSERT(rethrown == mine);
    }
  }
};

// sync::thread starts a model thread (rl::dyn_thread) and join orders its work before the
// joiner's next step; sync::mutex/condition_variable hand a value over without a race.
struct thread_and_condition_variable : rl::test_suite<thread_and_condition_variable, 1> {
  static const std::size_t dynamic_thread_count = 1;
  tpl::sync::mutex mutex;
  tpl::sync::condition_variable changed;
  tpl::sync::cell<int> value;
  tpl::sync::cell<int> written_by_child;

  void thread(unsigned) {
    tpl::sync::thread child([this] {
      written_by_child.store(7);
      tpl::sync::lock_guard lock(mutex);
      value.store(1);
      changed.notify_one();
    });
    mutex.lock();
    changed.wait(mutex, [this] { return value.load() == 1; });
    mutex.unlock();
    child.join();
    RL_ASSERT(written_by_child.load() == 7);
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<release_acquire>("release_acquire", "release store / acquire load publish a cell",
                                         search::full()),
          make_scenario<relaxed_publish>("relaxed_publish", "a relaxed store must be reported as a race",
                                         search::full()),
          make_scenario<relaxed_consume>("relaxed_consume", "a relaxed load must be reported as a race",
                                         search::full()),
          make_scenario<cas_failure_stronger_than_success>(
              "cas_failure_order", "a CAS failure order stronger than success is rejected", search::full()),
          make_scenario<rethrow_after_switch>("rethrow_after_switch",
                                              "each fiber rethrows its own exception after a switch",
                                              search::full()),
          make_scenario<thread_and_condition_variable>(
              "thread_and_condition_variable", "sync::thread, mutex and condition variable hand over a value",
              search::full()),
      },
      argc, argv);
}

// Relacy model of detail::join_signal, the wait a pool worker parks on (a join, a task's
// get()), with the real fork_item and worker_parker.
//
// Invariants: the waiter wakes (a lost wake-up is a DEADLOCK); it sees what the signaler did
// before signaling (a plain cell: a DATA RACE otherwise); and once the waiter returns, nothing
// touches the node or the parker again: the waiter frees both right away (the frame unwinds,
// the pool is destroyed), so a late touch is ACCESS TO FREED MEMORY (issue 9, bug 7: the old
// waker stored `done`, then notified the pool's idle sleeper, which the waiter could already
// have destroyed with its pool; docs/testing.md quotes that model's report).
//
// Scenarios:
//   park_vs_set          the joiner parks while the thief runs the child and signals      full search
//   poll_vs_set          the joiner only polls is_set() (the spin before parking), then
//                        frees everything                                               full search
//   two_waits_one_parker two signals for one waiter, set by two threads; the waiter parks
//                        on each in turn (a worker's nested waits share its parker)  full search
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/join_signal.hpp"
#include "tpl/detail/pool_worker.hpp"

namespace {

using tpl::detail::fork_item;
using tpl::detail::worker_parker;

// The joiner's frame and its worker, on the heap so the joiner can free them at once.
struct joiner_state {
  fork_item child;
  tpl::sync::cell<int> result{0};  // the child's effect
};

template <bool Park>
struct join_suite : rl::test_suite<join_suite<Park>, 2> {
  joiner_state* frame = nullptr;
  worker_parker* parker = nullptr;

  void before() {
    frame = new joiner_state();
    parker = new worker_parker();
  }
  void thread(unsigned index) {
    if (index == 0) {
      if (Park) {
        frame->child.joined.park(*parker);
      } else {
        while (!frame->child.is_done()) tpl::sync::spin_pause();
      }
      RL_ASSERT(frame->result.load() == 42);
      delete frame;  // the frame unwinds ...
      delete parker;  // ... and the pool goes away
    } else {
      joiner_state* target = frame;  // the thief got the item from the deque
      target->result.store(42);
      target->child.signal_joiner();
    }
  }
};

struct two_waits_one_parker : rl::test_suite<two_waits_one_parker, 3> {
  joiner_state* first = nullptr;
  joiner_state* second = nullptr;
  worker_parker* parker = nullptr;

  void before() {
    first = new joiner_state();
    second = new joiner_state();
    parker = new worker_parker();
  }
  void thread(unsigned index) {
    if (index == 0) {
      second->child.joined.park(*parker);  // the inner wait
      RL_ASSERT(second->result.load() == 2);
      delete second;
      first->child.joined.park(*parker);  // then the outer one
      RL_ASSERT(first->result.load() == 1);
      delete first;
      delete parker;
    } else {
      joiner_state* target = index == 1 ? first : second;
      target->result.store(static_cast<int>(index));
      target->child.signal_joiner();
    }
  }
};

using park_vs_set = join_suite<true>;
using poll_vs_set = join_suite<false>;

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<park_vs_set>("park_vs_set", "the joiner parks while the thief signals", search::full()),
          make_scenario<poll_vs_set>("poll_vs_set", "the joiner polls, then frees the frame and the parker",
                                     search::full()),
          make_scenario<two_waits_one_parker>("two_waits_one_parker",
                                              "two signals set by two threads, one parker", search::full()),
      },
      argc, argv);
}

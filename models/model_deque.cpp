// Relacy model of tpl::work_stealing_deque: the real header, compiled against the Relacy
// backend of tpl::sync.
//
// Invariant checked in every scenario, on every explored execution:
//   every pushed item is taken exactly once (by pop or by a successful steal), the taker sees
//   the item's payload as the owner wrote it before push (a plain, race-checked cell), no data
//   race (Relacy's race detector), no leak or double free of a buffer
//   (Relacy's heap: the deque is destroyed at the end of each execution).
//
// Scenarios and bounds (initial capacity 2 in model builds, config.hpp). Each is named for the
// race it sets up. Full search where it finishes in about a second; otherwise a context-bound
// search (every schedule with at most N preemptions per thread), sized so the whole file runs
// in well under a minute. Sizes and times are printed by each run and quoted in docs/deque.md.
//   race_for_last_item       owner push 1 + pop vs 1 thief x 1 steal        full search
//   push_pop_vs_one_thief    owner push,push,pop,push,pop.. vs 1 thief x 1  context bound 3
//   one_thief_two_steals     owner push 3, pop all vs 1 thief x 2 steals    context bound 3
//   two_thieves              owner push 3, pop all vs 2 thieves x 1 steal   context bound 2
//   steal_during_grow        owner push 4 (grows 2->4), pop all vs 2 thieves x 2 steals
//                                                                            context bound 2
//   long_random_mix          owner push 7 with pops between (grows 2->4->8) vs 2 thieves x 3
//                            steals: deeper than any bounded search here    random, 300k runs
// The build also compiles this file against a copy of the deque with a planted bug (push
// publishes `bottom` relaxed instead of release); ctest expects that binary to fail.
#include <array>
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/work_stealing_deque.hpp"

namespace {

// What the owner does, in order: a positive number pushes that item, 0 pops once. After the
// script the owner pops until the deque reports empty.
constexpr int pop_step = 0;

template <int ItemCount, int ThiefCount, int StealsPerThief, int... OwnerScript>
struct deque_suite : rl::test_suite<deque_suite<ItemCount, ThiefCount, StealsPerThief, OwnerScript...>,
                                    1 + ThiefCount> {
  static constexpr int owner_thread = 0;
  static constexpr std::array<int, sizeof...(OwnerScript)> script{OwnerScript...};

  std::optional<tpl::work_stealing_deque<int>> deque;
  std::optional<tpl::deque_owner<int>> owner;
  // The data an item stands for: the owner writes payload[item] (plain, race-checked) before
  // pushing the item; whoever takes the item reads it. Only the deque orders the two.
  std::optional<std::array<tpl::sync::cell<int>, ItemCount + 1>> payload;
  // taken[thread][item]: how many times that thread obtained that item. Each thread writes
  // only its own row; after() reads them once every thread has finished.
  std::array<std::array<int, ItemCount + 1>, 1 + ThiefCount> taken{};

  void before() {
    deque.emplace(tpl::config::deque_initial_capacity);
    payload.emplace();
    owner.emplace(deque->owner());
  }

  void thread(unsigned index) {
    if (index == owner_thread) {
      for (int step : script) {
        if (step == pop_step) {
          record(index, owner->pop());
        } else {
          (*payload)[step].store(payload_of(step));
          owner->push(step);
        }
      }
      while (record(index, owner->pop())) {
      }
    } else {
      tpl::deque_stealer<int> stealer = deque->stealer();
      for (int attempt = 0; attempt < StealsPerThief; ++attempt) {
        tpl::steal_result<int> result = stealer.steal();
        if (result) record(index, result.item());
      }
    }
  }

  static int payload_of(int item) { return item * 10; }

  bool record(unsigned index, std::optional<int> item) {
    if (!item) return false;
    RL_ASSERT(*item >= 1 && *item <= ItemCount);  // never a slot that was not published
    RL_ASSERT((*payload)[*item].load() == payload_of(*item));
    ++taken[index][*item];
    return true;
  }

  void after() {
    for (int item = 1; item <= ItemCount; ++item) {
      int times = 0;
      for (const auto& row : taken) times += row[item];
      RL_ASSERT(times == 1);  // every pushed item taken exactly once
    }
    owner.reset();
    payload.reset();
    deque.reset();  // frees the buffer and every retired one; Relacy checks for leaks after this
  }
};

using race_for_last_item = deque_suite<1, 1, 1, 1>;
using push_pop_vs_one_thief = deque_suite<3, 1, 1, 1, 2, pop_step, 3>;
using one_thief_two_steals = deque_suite<3, 1, 2, 1, 2, 3>;
using two_thieves = deque_suite<3, 2, 1, 1, 2, 3>;
using steal_during_grow = deque_suite<4, 2, 2, 1, 2, 3, 4>;
using long_random_mix = deque_suite<7, 2, 3, 1, 2, 3, pop_step, 4, 5, 6, pop_step, 7>;

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<race_for_last_item>("race_for_last_item",
                                            "owner pops the only item while a thief steals it", search::full()),
          make_scenario<push_pop_vs_one_thief>(
              "push_pop_vs_one_thief", "owner pushes and pops around a growth while a thief steals",
              search::context_bound(3)),
          make_scenario<one_thief_two_steals>("one_thief_two_steals",
                                              "a thief steals twice while the owner drains",
                                              search::context_bound(3)),
          make_scenario<two_thieves>("two_thieves", "two thieves race each other and the owner",
                                     search::context_bound(2)),
          make_scenario<steal_during_grow>("steal_during_grow",
                                           "two thieves steal twice each while the owner grows the buffer",
                                           search::context_bound(2)),
          make_scenario<long_random_mix>("long_random_mix",
                                         "7 items, two growths, pops between pushes, 2 thieves x 3 steals",
                                         search::random(300'000)),
      },
      argc, argv);
}

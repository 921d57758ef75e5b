// RapidCheck state-machine test: random sequences of push / pop / steal on one thread, checked
// step by step against a std::deque model (pop = newest, steal = oldest), starting at capacity
// 2 so sequences grow the buffer several times and wrap indices around it.
//
// Every run prints "Using configuration: seed=N"; a failure prints the shrunk command sequence.
// Reproduce with RC_PARAMS="seed=N" ./prop_work_stealing_deque.
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <ostream>
#include <tpl/work_stealing_deque.hpp>

namespace {

using model = std::deque<std::int64_t>;

struct system_under_test {
  tpl::work_stealing_deque<std::int64_t> deque{2};
  tpl::deque_owner<std::int64_t> owner = deque.owner();
  tpl::deque_stealer<std::int64_t> stealer = deque.stealer();
};

using command = rc::state::Command<model, system_under_test>;

struct push final : command {
  std::int64_t item = *rc::gen::arbitrary<std::int64_t>();
  void apply(model& state) const override { state.push_back(item); }
  void run(const model&, system_under_test& sut) const override { sut.owner.push(item); }
  void show(std::ostream& os) const override { os << "push(" << item << ")"; }
};

struct pop final : command {
  void apply(model& state) const override {
    if (!state.empty()) state.pop_back();
  }
  void run(const model& state, system_under_test& sut) const override {
    const std::optional<std::int64_t> taken = sut.owner.pop();
    if (state.empty()) {
      RC_ASSERT(!taken.has_value());
    } else {
      RC_ASSERT(taken.has_value());
      RC_ASSERT(*taken == state.back());
    }
  }
  void show(std::ostream& os) const override { os << "pop"; }
};

struct steal final : command {
  void apply(model& state) const override {
    if (!state.empty()) state.pop_front();
  }
  void run(const model& state, system_under_test& sut) const override {
    const tpl::steal_result<std::int64_t> result = sut.stealer.steal();
    // Alone, a thief never loses a race: empty exactly when the model is empty.
    RC_ASSERT(result.status() != tpl::steal_status::lost_race);
    RC_ASSERT(result.succeeded() == !state.empty());
    if (result.succeeded()) RC_ASSERT(result.item() == state.front());
  }
  void show(std::ostream& os) const override { os << "steal"; }
};

}  // namespace

int main() {
  const bool passed = rc::check("work_stealing_deque matches a std::deque model", [] {
    model initial;
    system_under_test sut;
    // Pushes weighted up so sequences build long deques (and grow) as well as drain them.
    rc::state::check(initial, sut,
                     rc::state::gen::execOneOfWithArgs<push, push, push, pop, steal>());
  });
  return passed ? 0 : 1;
}

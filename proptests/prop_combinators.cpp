// RapidCheck properties of when_all and when_any against a sequential model of .NET's rules.
// Generated: 0..8 inputs, each with an outcome (a value; one or several exceptions of
// generated types; canceled) and a completion schedule (already complete before the
// combinator exists; completed later on this thread in a generated order; completed
// concurrently by 1..3 threads). Checked:
//   when_all  status, results (input order) and the aggregate (every fault of every faulted
//             input, in input order) match the model; a continuation on it runs exactly once,
//             and only once every input has completed; it is not complete while an input runs;
//   when_any  always ran_to_completion; the winner had completed when the combinator
//             completed; with a sequential schedule it is the first input to complete (the
//             lowest index among those already complete).
// Prints "Using configuration: seed=N"; reproduce with RC_PARAMS="seed=N". CI runs the default
// budget (100 cases a property); `make proptests-long` runs 20,000.
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/when_all.hpp"
#include "tpl/when_any.hpp"

namespace {

using tpl::task;
using tpl::task_status;

// An exception type not derived from std::exception, to vary the thrown types.
struct custom_error {
  int code;
};

enum class outcome_kind { value, faults, canceled };
enum class schedule_kind { already, later, concurrent };

struct input_plan {
  outcome_kind kind;
  int value;
  std::vector<int> fault_types;  // one entry per exception: 0 runtime_error, 1 logic_error, 2 custom_error
};

struct plan {
  std::vector<input_plan> inputs;
  schedule_kind schedule;
  std::vector<std::size_t> order;  // completion order for `later`
  int threads;                     // for `concurrent`
};

rc::Gen<input_plan> gen_input() {
  return rc::gen::build<input_plan>(
      rc::gen::set(&input_plan::kind, rc::gen::element(outcome_kind::value, outcome_kind::faults, outcome_kind::canceled)),
      rc::gen::set(&input_plan::value, rc::gen::inRange(-100, 100)),
      rc::gen::set(&input_plan::fault_types, rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 4), [](std::size_t count) {
                     return rc::gen::container<std::vector<int>>(count, rc::gen::inRange(0, 3));
                   })));
}

plan gen_plan() {
  plan generated;
  generated.inputs = *rc::gen::container<std::vector<input_plan>>(*rc::gen::inRange<std::size_t>(0, 9), gen_input());
  generated.schedule = *rc::gen::element(schedule_kind::already, schedule_kind::later, schedule_kind::concurrent);
  generated.order.resize(generated.inputs.size());
  std::iota(generated.order.begin(), generated.order.end(), std::size_t{0});
  for (std::size_t last = generated.order.size(); last > 1; --last) {  // Fisher-Yates, from generated picks
    std::swap(generated.order[last - 1], generated.order[*rc::gen::inRange<std::size_t>(0, last)]);
  }
  generated.threads = *rc::gen::inRange(1, 4);
  return generated;
}

// A fault's identity: its input, its position among that input's faults, its type.
std::string fault_name(std::size_t input, std::size_t position, int type) {
  return std::to_string(input) + "." + std::to_string(position) + "/" + std::to_string(type);
}

std::exception_ptr make_fault(std::size_t input, std::size_t position, int type) {
  const std::string name = fault_name(input, position, type);
  switch (type) {
    case 0: return std::make_exception_ptr(std::runtime_error(name));
    case 1: return std::make_exception_ptr(std::logic_error(name));
    default: return std::make_exception_ptr(custom_error{static_cast<int>(input * 100 + position * 10) + type});
  }
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    return caught.what();
  } catch (const custom_error& caught) {
    return fault_name(static_cast<std::size_t>(caught.code / 100), static_cast<std::size_t>(caught.code / 10 % 10),
                      caught.code % 10);
  }
}

void complete(tpl::task_completion_source<int>& source, const input_plan& input, std::size_t index) {
  switch (input.kind) {
    case outcome_kind::value: source.set_result(input.value); break;
    case outcome_kind::canceled: source.set_canceled(); break;
    case outcome_kind::faults: {
      std::vector<std::exception_ptr> faults;
      for (std::size_t position = 0; position < input.fault_types.size(); ++position) {
        faults.push_back(make_fault(index, position, input.fault_types[position]));
      }
      source.set_exception(std::move(faults));
      break;
    }
  }
}

// Runs `schedule`'s completions; `between(count)` is called after each of `later`'s first
// count-1 completions (the combinator must not be complete yet), on this thread.
template <class Between>
void run_schedule(const plan& generated, std::vector<tpl::task_completion_source<int>>& sources, Between between) {
  if (generated.schedule == schedule_kind::later) {
    for (std::size_t step = 0; step < generated.order.size(); ++step) {
      const std::size_t index = generated.order[step];
      complete(sources[index], generated.inputs[index], index);
      if (step + 1 < generated.order.size()) between(step + 1);
    }
  } else if (generated.schedule == schedule_kind::concurrent) {
    std::vector<std::thread> completers;
    for (int thread = 0; thread < generated.threads; ++thread) {
      completers.emplace_back([&, thread] {
        for (std::size_t index = static_cast<std::size_t>(thread); index < sources.size();
             index += static_cast<std::size_t>(generated.threads)) {
          complete(sources[index], generated.inputs[index], index);
        }
      });
    }
    for (auto& completer : completers) completer.join();
  }
}

void check_when_all_outcome(const plan& generated, task<std::vector<int>>& all) {
  std::vector<std::string> expected_faults;
  bool any_canceled = false;
  std::vector<int> expected_values;
  for (std::size_t index = 0; index < generated.inputs.size(); ++index) {
    const input_plan& input = generated.inputs[index];
    if (input.kind == outcome_kind::faults) {
      for (std::size_t position = 0; position < input.fault_types.size(); ++position) {
        expected_faults.push_back(fault_name(index, position, input.fault_types[position]));
      }
    }
    any_canceled = any_canceled || input.kind == outcome_kind::canceled;
    expected_values.push_back(input.value);
  }
  if (!expected_faults.empty()) {
    RC_ASSERT(all.status() == task_status::faulted);
    try {
      (void)all.get();
      RC_FAIL("get() did not throw");
    } catch (const tpl::aggregate_exception& error) {
      std::vector<std::string> seen;
      for (const auto& each : error.inner_exceptions()) seen.push_back(describe(each));
      RC_ASSERT(seen == expected_faults);
    }
  } else if (any_canceled) {
    RC_ASSERT(all.status() == task_status::canceled);
  } else {
    RC_ASSERT(all.get() == expected_values);
  }
}

}  // namespace

int main() {
  bool passed = true;

  passed &= rc::check("when_all matches .NET's rules for any inputs and completion schedule", [] {
    const plan generated = gen_plan();
    std::vector<tpl::task_completion_source<int>> sources(generated.inputs.size());
    std::vector<task<int>> inputs;
    for (auto& source : sources) inputs.push_back(source.task());
    if (generated.schedule == schedule_kind::already) {
      for (std::size_t index = 0; index < sources.size(); ++index) complete(sources[index], generated.inputs[index], index);
    }
    task<std::vector<int>> all = tpl::when_all(inputs);
    std::atomic<int> runs{0};
    std::atomic<bool> ran_before_last{false};
    task<int> watcher = tpl::continue_with(
        all,
        [&](const task<std::vector<int>>&) {
          for (const task<int>& input : inputs) {
            if (!input.is_completed()) ran_before_last = true;
          }
          runs.fetch_add(1);
          return 0;
        },
        tpl::continuation_options::execute_synchronously);
    run_schedule(generated, sources, [&](std::size_t) { RC_ASSERT(!all.is_completed()); });
    (void)watcher.get();
    RC_ASSERT(runs.load() == 1);
    RC_ASSERT(!ran_before_last.load());
    check_when_all_outcome(generated, all);
  });

  passed &= rc::check("when_all of a mixed-type pack matches the rules too", [] {
    const auto number = *gen_input();
    const auto text = *gen_input();
    tpl::task_completion_source<int> number_source;
    tpl::task_completion_source<int> text_source;
    tpl::task_completion_source<> signal;
    auto as_text = tpl::continue_with(text_source.task(), [](const task<int>& done) { return std::to_string(done.get()); },
                                      tpl::continuation_options::execute_synchronously);
    task<std::tuple<int, std::string>> all = tpl::when_all(number_source.task(), signal.task(), as_text);
    complete(text_source, text, 2);
    signal.set_result();
    RC_ASSERT(!all.is_completed());
    complete(number_source, number, 0);
    RC_ASSERT(all.is_completed());
    if (text.kind != outcome_kind::value || number.kind == outcome_kind::faults) {
      // A text input that did not produce a value faults as_text (its get() threw).
      RC_ASSERT(all.status() == task_status::faulted);
      (void)all.exception();
    } else if (number.kind == outcome_kind::canceled) {
      RC_ASSERT(all.status() == task_status::canceled);
    } else {
      RC_ASSERT(all.get() == std::make_tuple(number.value, std::to_string(text.value)));
    }
  });

  passed &= rc::check("when_any always runs to completion with an input that had completed", [] {
    plan generated = gen_plan();
    if (generated.inputs.empty()) {
      generated.inputs.push_back(*gen_input());
      generated.order = {0};
    }
    std::vector<tpl::task_completion_source<int>> sources(generated.inputs.size());
    std::vector<task<int>> inputs;
    for (auto& source : sources) inputs.push_back(source.task());
    std::optional<std::size_t> first_already;
    if (generated.schedule == schedule_kind::already) {
      // Only some complete beforehand: the first of them in input order must win.
      for (std::size_t index = 0; index < sources.size(); ++index) {
        if (index % 2 == 1 || index + 1 == sources.size()) {
          complete(sources[index], generated.inputs[index], index);
          if (!first_already) first_already = index;
        }
      }
    }
    auto any = tpl::when_any(inputs);
    std::atomic<bool> winner_was_complete{false};
    std::atomic<int> runs{0};
    task<int> watcher = tpl::continue_with(
        any,
        [&](const task<tpl::when_any_result<task<int>>>& done) {
          const auto result = done.get();
          winner_was_complete = result.completed.is_completed() && result.index < inputs.size();
          runs.fetch_add(1);
          return 0;
        },
        tpl::continuation_options::execute_synchronously);
    run_schedule(generated, sources, [](std::size_t) {});
    if (generated.schedule == schedule_kind::already) {
      for (std::size_t index = 0; index < sources.size(); ++index) {
        (void)sources[index].try_set_result(0);  // the rest complete afterwards
      }
    }
    (void)watcher.get();
    RC_ASSERT(runs.load() == 1);
    RC_ASSERT(winner_was_complete.load());
    RC_ASSERT(any.status() == task_status::ran_to_completion);
    const auto result = any.get();
    if (generated.schedule == schedule_kind::later) RC_ASSERT(result.index == generated.order.front());
    if (generated.schedule == schedule_kind::already) RC_ASSERT(result.index == *first_already);
    for (const task<int>& input : inputs) (void)input.exception();  // observed
  });

  return passed ? 0 : 1;
}

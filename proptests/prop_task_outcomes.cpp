// RapidCheck properties of tasks completed through task_completion_source, against a simple
// sequential model of .NET's rules. For random sequences of completion attempts (result,
// one exception, several exceptions, canceled; set_* or try_* form), with awaiters and
// continuations registered before, between and after them:
//   * the first attempt wins; every later set_* throws invalid_operation and try_* returns false;
//   * status(), is_*(), exception(), get() and co_await agree with the winner and with one
//     another: ran_to_completion gives the value; faulted gives every exception in get()'s and
//     exception()'s aggregate and the first one, as thrown, to co_await; canceled gives
//     task_canceled to co_await, one task_canceled inside get()'s aggregate, and no exception();
//   * each continue_with option runs its continuation exactly when .NET's rule says, else the
//     continuation ends canceled; each awaiter resumes exactly once.
// And concurrently: several threads racing random completions: exactly one wins, and every
// observer agrees with the winner.
// Prints "Using configuration: seed=N"; reproduce with RC_PARAMS="seed=N".
#include <rapidcheck.h>

#include <atomic>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

namespace {

using tpl::task;
using tpl::task_status;

enum class completion_kind { result, exception, exceptions, canceled };

struct attempt {
  completion_kind kind;
  bool try_form;  // try_set_* rather than set_*
  int payload;    // the value, or the number used in exception messages
};

struct step {
  bool is_attempt;  // else: register an awaiter and a continuation here
  attempt what;
  int option_index;  // for the continuation
};

const std::vector<tpl::continuation_options> every_option = {
    tpl::continuation_options::none,
    tpl::continuation_options::only_on_ran_to_completion,
    tpl::continuation_options::only_on_faulted,
    tpl::continuation_options::only_on_canceled,
    tpl::continuation_options::not_on_ran_to_completion,
    tpl::continuation_options::not_on_faulted,
    tpl::continuation_options::not_on_canceled,
};

// The model: which options let a continuation run after an outcome (.NET's table).
bool model_runs(tpl::continuation_options options, task_status outcome) {
  using tpl::continuation_options;
  const auto excluded = [&](continuation_options bit) { return tpl::has_option(options, bit); };
  switch (outcome) {
    case task_status::ran_to_completion: return !excluded(continuation_options::not_on_ran_to_completion);
    case task_status::faulted: return !excluded(continuation_options::not_on_faulted);
    default: return !excluded(continuation_options::not_on_canceled);
  }
}

task_status status_of(completion_kind kind) {
  switch (kind) {
    case completion_kind::result: return task_status::ran_to_completion;
    case completion_kind::canceled: return task_status::canceled;
    default: return task_status::faulted;
  }
}

std::vector<std::string> messages_for(const attempt& winner) {
  if (winner.kind == completion_kind::exception) return {"error " + std::to_string(winner.payload)};
  if (winner.kind == completion_kind::exceptions) {
    return {"error " + std::to_string(winner.payload), "second " + std::to_string(winner.payload)};
  }
  return {};
}

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    return caught.what();
  }
}

// Applies one attempt; returns whether it completed the task, checking the set_*/try_* rules.
bool apply(tpl::task_completion_source<int>& source, const attempt& each) {
  const auto errors = [&] {
    std::vector<std::exception_ptr> made;
    for (const auto& message : messages_for(each)) made.push_back(std::make_exception_ptr(std::runtime_error(message)));
    return made;
  };
  if (each.try_form) {
    switch (each.kind) {
      case completion_kind::result: return source.try_set_result(each.payload);
      case completion_kind::exception: return source.try_set_exception(errors().front());
      case completion_kind::exceptions: return source.try_set_exception(errors());
      case completion_kind::canceled: return source.try_set_canceled();
    }
  }
  try {
    switch (each.kind) {
      case completion_kind::result: source.set_result(each.payload); break;
      case completion_kind::exception: source.set_exception(errors().front()); break;
      case completion_kind::exceptions: source.set_exception(errors()); break;
      case completion_kind::canceled: source.set_canceled(); break;
    }
    return true;
  } catch (const tpl::invalid_operation&) {
    return false;
  }
}

// What `co_await` gave an awaiting coroutine.
struct awaited_outcome {
  std::optional<int> value;
  std::optional<std::string> rethrown;
  bool canceled = false;
  int resumptions = 0;
};

task<> await_into(task<int> awaited, awaited_outcome* into) {
  try {
    into->value = co_await awaited;
  } catch (const tpl::task_canceled&) {
    into->canceled = true;
  } catch (const std::runtime_error& error) {
    into->rethrown = error.what();
  }
  ++into->resumptions;
}

void check_agreement(const task<int>& completed, const attempt& winner) {
  const task_status expected = status_of(winner.kind);
  RC_ASSERT(completed.status() == expected);
  RC_ASSERT(completed.is_completed());
  RC_ASSERT(completed.is_completed_successfully() == (expected == task_status::ran_to_completion));
  RC_ASSERT(completed.is_faulted() == (expected == task_status::faulted));
  RC_ASSERT(completed.is_canceled() == (expected == task_status::canceled));
  const auto aggregate = completed.exception();
  RC_ASSERT(aggregate.has_value() == (expected == task_status::faulted));
  if (expected == task_status::ran_to_completion) {
    RC_ASSERT(completed.get() == winner.payload);
    return;
  }
  std::vector<std::string> from_get;
  try {
    (void)completed.get();
    RC_FAIL("get() returned for a task that did not run to completion");
  } catch (const tpl::aggregate_exception& error) {
    for (const auto& inner : error.inner_exceptions()) {
      if (expected == task_status::canceled) {
        RC_ASSERT(error.inner_exceptions().size() == 1u);
        bool is_task_canceled = false;
        try {
          std::rethrow_exception(inner);
        } catch (const tpl::task_canceled&) {
          is_task_canceled = true;
        } catch (...) {
        }
        RC_ASSERT(is_task_canceled);
      } else {
        from_get.push_back(message_of(inner));
      }
    }
  }
  if (expected == task_status::faulted) {
    RC_ASSERT(from_get == messages_for(winner));
    std::vector<std::string> from_exception;
    for (const auto& inner : aggregate->inner_exceptions()) from_exception.push_back(message_of(inner));
    RC_ASSERT(from_exception == from_get);
  }
}

void check_awaited(const awaited_outcome& seen, const attempt& winner) {
  RC_ASSERT(seen.resumptions == 1);
  switch (winner.kind) {
    case completion_kind::result:
      RC_ASSERT(seen.value == std::optional<int>(winner.payload));
      break;
    case completion_kind::canceled:
      RC_ASSERT(seen.canceled);
      break;
    default:
      RC_ASSERT(seen.rethrown == std::optional<std::string>(messages_for(winner).front()));
      break;
  }
}

rc::Gen<attempt> gen_attempt() {
  return rc::gen::build<attempt>(
      rc::gen::set(&attempt::kind, rc::gen::element(completion_kind::result, completion_kind::exception,
                                                    completion_kind::exceptions, completion_kind::canceled)),
      rc::gen::set(&attempt::try_form, rc::gen::arbitrary<bool>()),
      rc::gen::set(&attempt::payload, rc::gen::inRange(0, 1000)));
}

}  // namespace

int main() {
  bool passed = true;
  tpl::thread_pool pool(2);

  passed &= rc::check("the first completion wins and every observer agrees with it", [&] {
    const auto steps = *rc::gen::container<std::vector<step>>(rc::gen::build<step>(
        rc::gen::set(&step::is_attempt, rc::gen::arbitrary<bool>()), rc::gen::set(&step::what, gen_attempt()),
        rc::gen::set(&step::option_index, rc::gen::inRange<int>(0, static_cast<int>(every_option.size())))));
    const attempt final_attempt = *gen_attempt();  // at least one attempt, at the end

    tpl::task_completion_source<int> source;
    std::optional<attempt> winner;
    std::vector<std::unique_ptr<awaited_outcome>> awaited;
    std::vector<task<>> awaiters;
    std::vector<std::pair<tpl::continuation_options, task<int>>> continuations;
    std::vector<step> all = steps;
    all.push_back(step{true, final_attempt, 0});
    for (const step& each : all) {
      if (each.is_attempt) {
        const bool completed = apply(source, each.what);
        RC_ASSERT(completed == !winner.has_value());  // only the first attempt completes
        if (completed) winner = each.what;
        continue;
      }
      awaited.push_back(std::make_unique<awaited_outcome>());
      awaiters.push_back(await_into(source.task(), awaited.back().get()));
      const auto options = every_option[static_cast<std::size_t>(each.option_index)];
      continuations.emplace_back(options, tpl::continue_with(
                                              source.task(), pool,
                                              [](const task<int>& antecedent) {
                                                (void)antecedent.exception();  // observed
                                                return 1;
                                              },
                                              options | tpl::continuation_options::execute_synchronously));
    }
    RC_ASSERT(winner.has_value());
    check_agreement(source.task(), *winner);
    for (const auto& seen : awaited) check_awaited(*seen, *winner);
    for (auto& awaiter : awaiters) awaiter.get();
    for (auto& [options, continuation] : continuations) {
      const bool runs = model_runs(options, status_of(winner->kind));
      try {
        continuation.wait();
        RC_ASSERT(runs);
        RC_ASSERT(continuation.get() == 1);
      } catch (const tpl::aggregate_exception&) {
        RC_ASSERT(!runs);
        RC_ASSERT(continuation.is_canceled());
      }
    }
  });

  passed &= rc::check("concurrent completers: exactly one wins and observers agree", [&] {
    const auto count = *rc::gen::inRange<std::size_t>(2, 5);
    const auto attempts = *rc::gen::container<std::vector<attempt>>(count, gen_attempt());
    tpl::task_completion_source<int> source;
    awaited_outcome seen;
    task<> awaiter = await_into(source.task(), &seen);
    std::vector<int> won(attempts.size(), 0);
    std::vector<std::thread> completers;
    for (std::size_t index = 0; index < attempts.size(); ++index) {
      completers.emplace_back([&, index] { won[index] = apply(source, attempts[index]) ? 1 : 0; });
    }
    for (auto& completer : completers) completer.join();
    int winners = 0;
    std::size_t winner_index = 0;
    for (std::size_t index = 0; index < won.size(); ++index) {
      if (won[index] != 0) {
        ++winners;
        winner_index = index;
      }
    }
    RC_ASSERT(winners == 1);
    awaiter.get();
    check_agreement(source.task(), attempts[winner_index]);
    check_awaited(seen, attempts[winner_index]);
  });

  return passed ? 0 : 1;
}

// Completion sources with awaiters and continuations against a sequential reference model:
// coroutines awaiting a source's task and execute_synchronously continuations attached before or
// after it completes, then try_set_result / try_set_exception / try_set_canceled in any order.
// Checked: exactly the first completion wins (the try_* answers), each observer sees the winning
// outcome exactly once, observers attached before completion run oldest first at completion, an
// observer attached after it runs at once, and every task's status.
// Each operation is one byte and picks its operands from the bytes after it:
//   0 new source   1 await   2 continue_with   3 set_result   4 set_exception   5 set_canceled
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "fuzz_support.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/unobserved_exceptions.hpp"

namespace {

constexpr std::size_t max_sources = 4;
constexpr std::size_t max_observers = 64;

enum outcome_kind : int { pending = 0, value = 1, faulted = 2, canceled = 3 };

struct observation {
  int observer;
  int kind;
  int result;  // the value for `value`, else 0
  bool operator==(const observation&) const = default;
};

struct model_source {
  int kind = pending;
  int result = 0;
  std::vector<int> waiting;  // observers attached before completion, oldest first
};

tpl::task<> await_and_log(tpl::task<int> awaited, int observer, std::vector<observation>* log) {
  try {
    const int result = co_await awaited;
    log->push_back({observer, value, result});
  } catch (const tpl::task_canceled&) {
    log->push_back({observer, canceled, 0});
  } catch (const std::runtime_error&) {
    log->push_back({observer, faulted, 0});
  }
}

}  // namespace

// A source faulted with no observer reports its exception when it goes: expected here, and
// writing it to stderr for every input would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)tpl::set_unobserved_exception_handler([](const tpl::aggregate_exception&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tpl_fuzz::byte_reader input(data, size);
  std::vector<tpl::task_completion_source<int>> sources;
  std::vector<model_source> model;
  std::vector<observation> log;
  std::vector<observation> expected_log;
  std::vector<tpl::task<>> observers;  // keeps the awaiting coroutines and continuations alive
  int next_observer = 0;
  int next_value = 1;
  sources.emplace_back();
  model.emplace_back();

  while (!input.empty()) {
    const std::uint8_t operation = input.next() % 6;
    const std::size_t source = input.next() % sources.size();
    model_source& expected = model[source];
    switch (operation) {
      case 0:
        if (sources.size() < max_sources) {
          sources.emplace_back();
          model.emplace_back();
        }
        break;
      case 1:
      case 2: {
        if (observers.size() == max_observers) break;
        const int observer = next_observer++;
        if (operation == 1) {
          observers.push_back(await_and_log(sources[source].task(), observer, &log));
        } else {
          std::vector<observation>* into = &log;
          observers.push_back(tpl::continue_with(
              sources[source].task(),
              [observer, into](const tpl::task<int>& antecedent) {
                if (antecedent.is_completed_successfully()) {
                  into->push_back({observer, value, antecedent.get()});
                } else {
                  into->push_back({observer, antecedent.is_canceled() ? canceled : faulted, 0});
                }
              },
              tpl::continuation_options::execute_synchronously));
        }
        if (expected.kind == pending) {
          expected.waiting.push_back(observer);
        } else {
          expected_log.push_back({observer, expected.kind, expected.result});
        }
        break;
      }
      default: {
        bool won = false;
        const int result = next_value++;
        if (operation == 3) won = sources[source].try_set_result(result);
        if (operation == 4) won = sources[source].try_set_exception(std::make_exception_ptr(std::runtime_error("fuzz")));
        if (operation == 5) won = sources[source].try_set_canceled();
        tpl_fuzz::expect_equal("this completion won", won, expected.kind == pending);
        if (expected.kind == pending) {
          expected.kind = operation == 3 ? value : operation == 4 ? faulted : canceled;
          expected.result = operation == 3 ? result : 0;
          for (const int observer : expected.waiting) expected_log.push_back({observer, expected.kind, expected.result});
          expected.waiting.clear();
        }
        break;
      }
    }
    tpl_fuzz::expect_equal("observations so far", static_cast<long long>(log.size()),
                           static_cast<long long>(expected_log.size()));
    for (std::size_t index = 0; index < log.size(); ++index) {
      tpl_fuzz::expect_equal("observer at this position", log[index].observer, expected_log[index].observer);
      tpl_fuzz::expect_equal("outcome it saw", log[index].kind, expected_log[index].kind);
      tpl_fuzz::expect_equal("result it saw", log[index].result, expected_log[index].result);
    }
    for (std::size_t index = 0; index < sources.size(); ++index) {
      const tpl::task_status status = sources[index].task().status();
      const int kind = status == tpl::task_status::ran_to_completion ? value
                       : status == tpl::task_status::faulted        ? faulted
                       : status == tpl::task_status::canceled       ? canceled
                                                                     : pending;
      tpl_fuzz::expect_equal("a source's task status", kind, model[index].kind);
    }
  }
  // Every observer has finished once its source completed; the rest still wait.
  for (const tpl::task<>& each : observers) {
    if (each.is_faulted()) tpl_fuzz::disagree("an observer faulted", 1, 0);
  }
  // Leave no source pending with awaiters: complete them so every coroutine frame is released.
  for (tpl::task_completion_source<int>& each : sources) (void)each.try_set_canceled();
  return 0;
}

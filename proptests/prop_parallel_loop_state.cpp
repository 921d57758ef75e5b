// RapidCheck properties of the .NET loop rules (parallel_options' token and
// max_degree_of_parallelism, parallel_loop_state's stop() / break_()) for parallel_for and the
// three shapes of parallel_for_each, and of parallel_for_each_async, on real pools. Each case
// draws what every iteration does (nothing, throw, stop, break, cancel the loop's token) and
// checks the run against what a sequential model of .NET's rules allows whatever the schedule:
//   * nothing special: every iteration once, is_completed;
//   * breaks: lowest_break_iteration is the lowest breaking iteration (every iteration below it
//     runs, so it always breaks), every iteration below it ran once, none ran twice;
//   * stops: is_completed is false, some stopping iteration ran, none ran twice;
//   * throws: one aggregate_exception holding only thrown iterations' exceptions, each once;
//   * a cancel (and nothing thrown): one operation_canceled with the loop's token;
//   * never more bodies at once than max_degree_of_parallelism.
// parallel_for_each_async: every element once without faults; with faults, the task faults
// with exceptions from faulting elements only, each once; never more pending than the degree.
// Prints "Using configuration: seed=N"; reproduce with RC_PARAMS="seed=N".
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tpl/cancellation_token_source.hpp>
#include <tpl/parallel.hpp>
#include "support/pools_by_worker_count.hpp"
#include <tpl/parallel_for_each_async.hpp>
#include <tpl/yield.hpp>
#include "support/concurrency_probe.hpp"
#include <vector>

namespace {

enum class action { none, throws, stops, breaks, cancels };
enum class loop_shape { for_index, for_each_vector, for_each_list, for_each_single_pass };

// A single-pass view over 0..n-1: copies of its iterator share one position.
class single_pass_numbers {
 public:
  class iterator {
   public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    explicit iterator(const int* limit) : limit_(limit) {}
    iterator(iterator&&) = default;
    iterator& operator=(iterator&&) = default;
    int operator*() const { return next_; }
    iterator& operator++() {
      ++next_;
      return *this;
    }
    void operator++(int) { ++next_; }
    bool operator==(std::default_sentinel_t) const { return next_ >= *limit_; }

   private:
    const int* limit_;
    int next_ = 0;
  };
  explicit single_pass_numbers(int count) : count_(count) {}
  iterator begin() { return iterator(&count_); }
  std::default_sentinel_t end() { return {}; }

 private:
  int count_;
};

struct loop_run {
  std::vector<int> runs;  // per iteration
  std::optional<tpl::parallel_loop_result> result;
  std::vector<int> thrown;  // iterations whose exceptions reached the caller
  bool canceled = false;
  bool canceled_with_loop_token = false;
  int highest = 0;
};

loop_run run_loop(loop_shape shape, tpl::thread_pool& pool, const std::vector<action>& actions, std::int64_t grain,
                  int degree) {
  const int count = static_cast<int>(actions.size());
  loop_run run;
  std::vector<std::atomic<int>> runs(actions.size());
  tpl_test::concurrency_probe concurrency;
  tpl::cancellation_token_source source;
  tpl::parallel_options options{&pool, grain};
  options.token = source.token();
  options.max_degree_of_parallelism = degree;
  auto body = [&](int iteration, tpl::parallel_loop_state& state) {
    concurrency.enter();
    struct leave {
      tpl_test::concurrency_probe& p;
      ~leave() { p.leave(); }
    } on_exit{concurrency};
    runs[static_cast<std::size_t>(iteration)].fetch_add(1);
    switch (actions[static_cast<std::size_t>(iteration)]) {
      case action::none:
        break;
      case action::throws:
        throw std::runtime_error(std::to_string(iteration));
      case action::stops:
        state.stop();
        break;
      case action::breaks:
        state.break_();
        break;
      case action::cancels:
        source.cancel();
        break;
    }
  };
  try {
    switch (shape) {
      case loop_shape::for_index:
        run.result = tpl::parallel_for(0, count, body, options);
        break;
      case loop_shape::for_each_vector: {
        std::vector<int> values(actions.size());
        for (int index = 0; index < count; ++index) values[static_cast<std::size_t>(index)] = index;
        run.result = tpl::parallel_for_each(values, [&](int value, tpl::parallel_loop_state& state) { body(value, state); }, options);
        break;
      }
      case loop_shape::for_each_list: {
        std::list<int> values;
        for (int index = 0; index < count; ++index) values.push_back(index);
        run.result = tpl::parallel_for_each(values, [&](int value, tpl::parallel_loop_state& state) { body(value, state); }, options);
        break;
      }
      case loop_shape::for_each_single_pass:
        run.result = tpl::parallel_for_each(single_pass_numbers(count),
                                            [&](int value, tpl::parallel_loop_state& state) { body(value, state); }, options);
        break;
    }
  } catch (const tpl::aggregate_exception& error) {
    for (const auto& each : error.inner_exceptions()) {
      try {
        std::rethrow_exception(each);
      } catch (const std::runtime_error& inner) {
        run.thrown.push_back(std::stoi(inner.what()));
      }
    }
  } catch (const tpl::operation_canceled& canceled) {
    run.canceled = true;
    run.canceled_with_loop_token = canceled.token() == source.token();
  }
  for (auto& each : runs) run.runs.push_back(each.load());
  run.highest = concurrency.highest.load();
  return run;
}

// The actions of one case: mostly none, and one kind of special action at a few iterations
// (stop and break together are misuse, checked by the unit tests).
rc::Gen<std::vector<action>> actions_of_one_kind() {
  return rc::gen::exec([] {
    const auto count = *rc::gen::inRange(0, 400);
    const auto kind = *rc::gen::element(action::none, action::throws, action::stops, action::breaks, action::cancels);
    const auto specials = *rc::gen::inRange(0, 4);
    std::vector<action> actions(static_cast<std::size_t>(count), action::none);
    for (int special = 0; special < specials && count > 0; ++special) {
      actions[static_cast<std::size_t>(*rc::gen::inRange(0, count))] = kind;
    }
    return actions;
  });
}

void check_against_model(const std::vector<action>& actions, const loop_run& run, int degree) {
  std::set<int> special_iterations;
  action kind = action::none;
  for (std::size_t index = 0; index < actions.size(); ++index) {
    if (actions[index] != action::none) {
      special_iterations.insert(static_cast<int>(index));
      kind = actions[index];
    }
  }
  for (int each : run.runs) RC_ASSERT(each <= 1);  // no iteration twice, whatever happened
  if (degree > 0) RC_ASSERT(run.highest <= degree);
  switch (kind) {
    case action::none:
      RC_ASSERT(run.result.has_value());
      RC_ASSERT(run.result->is_completed);
      RC_ASSERT(!run.result->lowest_break_iteration.has_value());
      for (int each : run.runs) RC_ASSERT(each == 1);
      break;
    case action::breaks: {
      RC_ASSERT(run.result.has_value());
      const int lowest = *special_iterations.begin();
      RC_ASSERT(!run.result->is_completed);
      RC_ASSERT(run.result->lowest_break_iteration == std::optional<std::int64_t>(lowest));
      for (int index = 0; index <= lowest; ++index) RC_ASSERT(run.runs[static_cast<std::size_t>(index)] == 1);
      break;
    }
    case action::stops: {
      RC_ASSERT(run.result.has_value());
      RC_ASSERT(!run.result->is_completed);
      RC_ASSERT(!run.result->lowest_break_iteration.has_value());
      bool a_stop_ran = false;
      for (int index : special_iterations) a_stop_ran |= run.runs[static_cast<std::size_t>(index)] == 1;
      RC_ASSERT(a_stop_ran);
      break;
    }
    case action::throws: {
      RC_ASSERT(!run.result.has_value());
      RC_ASSERT(!run.canceled);
      RC_ASSERT(!run.thrown.empty());
      const std::set<int> thrown(run.thrown.begin(), run.thrown.end());
      RC_ASSERT(thrown.size() == run.thrown.size());
      for (int index : thrown) {
        RC_ASSERT(special_iterations.count(index) == 1u);
        RC_ASSERT(run.runs[static_cast<std::size_t>(index)] == 1);
      }
      break;
    }
    case action::cancels:
      RC_ASSERT(!run.result.has_value());
      RC_ASSERT(run.canceled);
      RC_ASSERT(run.canceled_with_loop_token);
      break;
  }
}

}  // namespace

int main() {
  tpl_test::pools_by_worker_count shared;
  bool passed = true;

  passed &= rc::check("parallel loops follow .NET's stop/break/throw/cancel rules and the degree limit", [&] {
    const auto shape = *rc::gen::element(loop_shape::for_index, loop_shape::for_each_vector, loop_shape::for_each_list,
                                         loop_shape::for_each_single_pass);
    const auto workers = *rc::gen::inRange<std::size_t>(1, 5);
    const auto grain = *rc::gen::inRange<std::int64_t>(0, 20);
    const auto degree = *rc::gen::element(-1, 1, 2, 3);
    const auto actions = *actions_of_one_kind();
    const loop_run run = run_loop(shape, shared.get(workers), actions, grain, degree);
    check_against_model(actions, run, degree);
  });

  passed &= rc::check("parallel_for_each_async: every element once, faults from faulting elements only, degree kept", [&] {
    const auto workers = *rc::gen::inRange<std::size_t>(1, 5);
    const auto degree = *rc::gen::element(-1, 1, 2, 4);
    const auto count = *rc::gen::inRange(0, 200);
    const auto faulting = *rc::gen::container<std::set<int>>(rc::gen::inRange(0, std::max(count, 1)));
    tpl::parallel_options options{&shared.get(workers)};
    options.max_degree_of_parallelism = degree;
    std::vector<std::atomic<int>> runs(static_cast<std::size_t>(count));
    tpl_test::concurrency_probe pending;
    tpl::task<> loop = tpl::parallel_for_each_async(
        std::views::iota(0, count),
        [&](int element, tpl::cancellation_token) -> tpl::task<> {
          pending.enter();
          runs[static_cast<std::size_t>(element)].fetch_add(1);
          co_await tpl::yield();
          pending.leave();
          if (faulting.count(element) != 0) throw std::runtime_error(std::to_string(element));
        },
        options);
    std::vector<int> thrown;
    try {
      loop.get();
    } catch (const tpl::aggregate_exception& error) {
      for (const auto& each : error.inner_exceptions()) {
        try {
          std::rethrow_exception(each);
        } catch (const std::runtime_error& inner) {
          thrown.push_back(std::stoi(inner.what()));
        }
      }
      RC_ASSERT(thrown.size() == error.inner_exceptions().size());
    }
    if (degree > 0) RC_ASSERT(pending.highest.load() <= degree);
    for (auto& each : runs) RC_ASSERT(each.load() <= 1);
    bool a_faulting_element_ran = false;
    for (int element : faulting) {
      if (element < count) a_faulting_element_ran |= runs[static_cast<std::size_t>(element)].load() == 1;
    }
    if (!a_faulting_element_ran) {
      RC_ASSERT(thrown.empty());
      for (auto& each : runs) RC_ASSERT(each.load() == 1);
      RC_ASSERT(loop.status() == tpl::task_status::ran_to_completion);
    } else {
      RC_ASSERT(!thrown.empty());
      const std::set<int> distinct(thrown.begin(), thrown.end());
      RC_ASSERT(distinct.size() == thrown.size());
      for (int element : thrown) RC_ASSERT(faulting.count(element) == 1u);
      RC_ASSERT(loop.status() == tpl::task_status::faulted);
    }
  });

  return passed ? 0 : 1;
}

/// \file
/// tpl::parallel_for_each_async — .NET 6's Parallel.ForEachAsync: an asynchronous body per
/// element, at most max_degree_of_parallelism bodies pending at a time, a token, and the first
/// fault ending the loop.
///
///   task<> done = parallel_for_each_async(urls, [](const std::string& url, cancellation_token token) -> task<> {
///     co_await fetch(url, token);
///   }, {.token = source.token(), .max_degree_of_parallelism = 8});
///
/// The call returns at once with a task; the returned task ends when every body it started has
/// ended. Workers run on the pool; each takes the next element of the range under a lock and
/// awaits body(element, token) — or body(element) — before taking another. As in .NET, workers
/// are added one at a time: a worker that takes an element starts another while fewer than
/// max_degree_of_parallelism run (-1: the pool's worker count, as .NET uses the processor
/// count) and elements remain, so a large degree over a short range starts few workers. The
/// token a body gets is canceled when options.token is, and when any body fails.
///
/// The outcome, as .NET's:
///   * a body threw (or its task faulted): no element is taken after that, the running bodies
///     finish, and the task faults with every exception the bodies threw, except the
///     tpl::operation_canceled a body threw for the token it was given (those only echo the
///     first failure or the caller's cancellation);
///   * otherwise, options.token was canceled: the task ends canceled with that token (at once,
///     without running a body, when it was canceled before the call);
///   * otherwise it ran every element to completion.
///
/// Arguments: the range is kept in the returned task's state (std::views::all): an rvalue range
/// is moved there, an lvalue range is referred to and must outlive the returned task. The body
/// is moved there too. Refused with std::invalid_argument before anything starts: a null body,
/// and max_degree_of_parallelism 0 or below -1. The order is tpl's (range, body, options), as
/// parallel_for_each's, where .NET's is (source, options, body).
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/detail/callable_checks.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/parallel.hpp"
#include "tpl/parallel_options.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

// body(element, token) when the body takes the token, body(element) otherwise.
template <class Body, class Element>
auto invoke_async_body(Body& body, Element&& element, const cancellation_token& token) {
  if constexpr (std::is_invocable_v<Body&, Element, const cancellation_token&>) {
    return std::invoke(body, std::forward<Element>(element), token);
  } else {
    return std::invoke(body, std::forward<Element>(element));
  }
}

// What the workers of one parallel_for_each_async share; the last worker to end completes the
// task. Everything but the view, the body and the sources is under `mutex`.
template <class View, class Body>
struct for_each_async_state {
  for_each_async_state(View range, Body loop_body, cancellation_token external, thread_pool& target,
                       std::size_t workers)
      : view(std::move(range)),
        body(std::move(loop_body)),
        caller_token(std::move(external)),
        loop_source(cancellation_token_source::create_linked(caller_token)),
        loop_token(loop_source.token()),
        pool(target),
        max_workers(workers) {}

  View view;
  Body body;
  cancellation_token caller_token;
  cancellation_token_source loop_source;  // canceled by the caller's token or the first failure
  cancellation_token loop_token;          // what the bodies get
  task_completion_source<> completion;
  thread_pool& pool;
  const std::size_t max_workers;

  std::mutex mutex;
  std::optional<std::ranges::iterator_t<View>> next;  // under mutex; begun by the first worker
  bool ended = false;                                 // under mutex: the range ended
  std::vector<std::exception_ptr> errors;             // under mutex
  std::size_t running_workers = 1;                    // under mutex: the first is started by the call

  // A body failed: keep its exception and end the loop (no element is taken after this).
  void fail(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex);
      errors.push_back(std::move(error));
    }
    try {
      loop_source.cancel();  // the bodies' callbacks run here, outside the lock
    } catch (...) {
      std::lock_guard lock(mutex);
      errors.push_back(std::current_exception());
    }
  }

  // One worker (or a worker that could not start) is done; the last completes the task.
  void worker_ended() {
    std::vector<std::exception_ptr> reported;
    {
      std::lock_guard lock(mutex);
      if (--running_workers != 0) return;
      for (std::exception_ptr& error : errors) {
        if (!canceled_by_loop_token(error)) reported.push_back(std::move(error));
      }
    }
    if (!reported.empty()) {
      completion.set_exception(std::move(reported));
    } else if (caller_token.is_cancellation_requested()) {
      completion.set_canceled(caller_token);
    } else {
      completion.set_result();
    }
  }

  [[nodiscard]] bool canceled_by_loop_token(const std::exception_ptr& error) const {
    try {
      std::rethrow_exception(error);
    } catch (const operation_canceled& canceled) {
      return canceled.token() == loop_token;
    } catch (...) {
      return false;
    }
  }
};

template <class State>
task<> for_each_async_worker(std::shared_ptr<State> state);

// Starts one more worker, counted in running_workers by the caller. A worker whose frame cannot
// be allocated never runs: it ends here, with the failure.
template <class State>
void start_for_each_async_worker(const std::shared_ptr<State>& state) {
  try {
    // The worker holds the state and completes the task when it is the last; its own task never
    // faults (it catches everything), so dropping the handle loses nothing.
    [[maybe_unused]] task<> worker = for_each_async_worker(state);
  } catch (...) {
    state->fail(std::current_exception());
    state->worker_ended();
  }
}

template <class State>
task<> for_each_async_worker(std::shared_ptr<State> state) {
  using view_type = decltype(state->view);
  constexpr bool multi_pass = std::ranges::forward_range<view_type>;
  // One element at a time: the position for a multi-pass range (the body gets a reference into
  // it), the element moved out for a single-pass one (its iterator moves on under the lock).
  using held_element =
      std::conditional_t<multi_pass, std::ranges::iterator_t<view_type>, std::ranges::range_value_t<view_type>>;
  try {
    co_await state->pool.schedule();
    for (;;) {
      std::optional<held_element> element;
      bool start_another = false;
      {
        std::lock_guard lock(state->mutex);
        if (state->ended || state->loop_token.is_cancellation_requested()) break;
        if (!state->next) state->next.emplace(std::ranges::begin(state->view));
        auto& position = *state->next;
        if (position == std::ranges::end(state->view)) {
          state->ended = true;
          break;
        }
        if constexpr (multi_pass) {
          element.emplace(position);
        } else {
          element.emplace(std::ranges::iter_move(position));
        }
        ++position;
        if (state->running_workers < state->max_workers && position != std::ranges::end(state->view)) {
          ++state->running_workers;
          start_another = true;
        }
      }
      if (start_another) start_for_each_async_worker(state);
      try {
        if constexpr (multi_pass) {
          auto pending = invoke_async_body(state->body, **element, state->loop_token);
          co_await std::move(pending);
        } else {
          auto pending = invoke_async_body(state->body, *element, state->loop_token);
          co_await std::move(pending);
        }
      } catch (...) {
        state->fail(std::current_exception());
        break;
      }
    }
  } catch (...) {
    // schedule() refused (the pool is shutting down), or taking an element threw.
    state->fail(std::current_exception());
  }
  state->worker_ended();
}

}  // namespace detail
/// \endcond

/// See the header comment.
template <std::ranges::viewable_range Range, class Body>
  requires std::ranges::input_range<Range>
[[nodiscard]] task<> parallel_for_each_async(Range&& range, Body body, const parallel_options& options = {}) {
  detail::reject_null_callable(body, "tpl::parallel_for_each_async");
  detail::check_parallel_options(options);
  if (options.token.is_cancellation_requested()) return task<>::from_canceled(options.token);
  thread_pool& pool = detail::choose_pool(options);
  const std::size_t workers = options.max_degree_of_parallelism > 0
                                  ? static_cast<std::size_t>(options.max_degree_of_parallelism)
                                  : pool.worker_count();
  using view_type = std::views::all_t<Range>;
  using element_type = std::conditional_t<std::ranges::forward_range<view_type>, std::ranges::range_reference_t<view_type>,
                                          std::ranges::range_value_t<view_type>&>;
  static_assert(std::is_invocable_v<Body&, element_type, const cancellation_token&> || std::is_invocable_v<Body&, element_type>,
                "tpl::parallel_for_each_async: the body must be callable as body(element, tpl::cancellation_token) or "
                "body(element), and return something to co_await (task<>, value_task<>)");
  using state_type = detail::for_each_async_state<view_type, Body>;
  auto state = std::make_shared<state_type>(std::views::all(std::forward<Range>(range)), std::move(body),
                                            options.token, pool, workers);
  task<> done = state->completion.task();
  detail::start_for_each_async_worker(state);
  return done;
}

}  // namespace tpl

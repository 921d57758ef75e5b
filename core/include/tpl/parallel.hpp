/// \file
/// .NET's Parallel.Invoke / Parallel.For / Parallel.ForEach on tpl's work-stealing pool.
///
/// Fork-join: each fork is a work item on the forking frame's stack (no allocation), pushed on
/// the worker's deque; the frame runs its first piece itself and then joins the rest, running a
/// child that nobody stole inline. Called from a thread that is not a pool worker, the whole
/// computation is submitted to the pool and the caller blocks until it ends.
///
/// Exceptions: every piece that starts runs to its end; all exceptions are collected, in the
/// order of the pieces for parallel_invoke, and rethrown together as one
/// tpl::aggregate_exception after every started piece has ended. In parallel_for and
/// parallel_for_each, once an iteration has thrown no new iteration starts (as in .NET,
/// iterations already running finish).
///
/// parallel_options (parallel_options.hpp) adds .NET's ParallelOptions: a cancellation token
/// (checked before the loop and before every iteration; a canceled loop throws one
/// tpl::operation_canceled, as .NET throws one OperationCanceledException, unless a body threw
/// something else) and max_degree_of_parallelism. A loop body may take a parallel_loop_state&
/// as its last argument to stop() or break_() the loop (parallel_loop_state.hpp); the loops
/// return a parallel_loop_result. parallel_for_each_async is in parallel_for_each_async.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <mutex>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/exceptions.hpp"
#include "tpl/detail/callable_checks.hpp"
#include "tpl/detail/loop_index.hpp"
#include "tpl/detail/parallel_loop_control.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/parallel_loop_state.hpp"
#include "tpl/parallel_options.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

inline thread_pool& choose_pool(const parallel_options& options) {
  if (options.pool != nullptr) return *options.pool;
  if (current_worker() != nullptr) return current_worker()->pool();
  return thread_pool::default_pool();
}

// A forked callable: runs `fn` and records its exception for the joiner.
template <class Fn>
struct fork_of : fork_item {
  explicit fork_of(Fn& callable) : fork_item{}, fn(&callable) { run = &fork_of::run_fork; }
  static void run_fork(work_item* self, bool via_scheduler) {
    auto* me = static_cast<fork_of*>(self);
    try {
      (*me->fn)();
    } catch (...) {
      me->error = std::current_exception();
    }
    if (via_scheduler) me->signal_joiner();
  }
  Fn* fn;
};

// Forks one child and guarantees it is joined: by join() on the normal path, and by the
// destructor when an exception unwinds the forking frame. A child left in the deque, or still
// running on a thief, would otherwise outlive the stack frame it lives in.
class joined_fork {
 public:
  joined_fork(pool_worker& worker, fork_item& child) : worker_(worker), child_(&child) {
    worker.fork(child);  // if this throws, nothing was pushed and the destructor does not run
  }
  joined_fork(const joined_fork&) = delete;
  joined_fork& operator=(const joined_fork&) = delete;
  ~joined_fork() { join(); }

  void join() {
    if (child_ != nullptr) worker_.join(*std::exchange(child_, nullptr));
  }

 private:
  pool_worker& worker_;
  fork_item* child_;
};

// Runs `body(worker)` on a worker of `pool`: directly when the caller is one, otherwise as a
// root item from outside, blocking the caller (not a worker) until it has run.
template <class Body>
void run_on_worker(thread_pool& pool, Body& body) {
  if (pool_worker* worker = pool.current_worker()) {
    body(*worker);
    return;
  }
  struct root_item : work_item {
    Body* body = nullptr;
    std::exception_ptr error;
    sync::mutex mutex;
    sync::condition_variable finished_changed;
    bool finished = false;  // under mutex
    static void run_root(work_item* self, bool) {
      auto* me = static_cast<root_item*>(self);
      try {
        (*me->body)(*current_worker());
      } catch (...) {
        me->error = std::current_exception();
      }
      // Notify under the lock: the waiter cannot return (and destroy this item, which lives
      // on its stack) before the unlock, and nothing here touches the item after it.
      sync::lock_guard lock(me->mutex);
      me->finished = true;
      me->finished_changed.notify_one();
    }
  } root;
  root.run = &root_item::run_root;
  root.body = &body;
  pool_access::submit_item(pool, &root);
  root.mutex.lock();
  root.finished_changed.wait(root.mutex, [&] { return root.finished; });
  root.mutex.unlock();
  if (root.error) std::rethrow_exception(root.error);
}

template <class First, class... Rest, std::size_t... Index>
void invoke_on_worker(pool_worker& worker, std::index_sequence<Index...>, First& first, Rest&... rest) {
  std::tuple<fork_of<Rest>...> children(rest...);
  constexpr std::size_t count = sizeof...(Rest);
  // Fork the last piece first, so the deque's newest item is the second piece: the joins
  // (newest first) then pop them back in order while nobody steals. The pushes are written
  // out as a fold rather than through a scope object holding pointers to the children:
  // measured, such a runtime-indexed scope doubled skynet's cost per task (10-way forks). Only a push can throw here (the deque grows), so the
  // cold path below joins whatever was pushed before rethrowing.
  std::size_t pushed = 0;
  try {
    ((worker.fork(std::get<count - 1 - Index>(children)), ++pushed), ...);
  } catch (...) {
    const std::array<fork_item*, count> in_push_order{&std::get<count - 1 - Index>(children)...};
    while (pushed != 0) worker.join(*in_push_order[--pushed]);
    throw;
  }
  std::exception_ptr first_error;
  try {
    first();
  } catch (...) {
    first_error = std::current_exception();
  }
  ((worker.join(std::get<Index>(children))), ...);
  if (first_error == nullptr && ((std::get<Index>(children).error == nullptr) && ...)) return;
  std::vector<std::exception_ptr> errors;
  if (first_error) errors.push_back(first_error);
  ((std::get<Index>(children).error ? errors.push_back(std::get<Index>(children).error) : void()), ...);
  throw aggregate_exception(std::move(errors));
}

// What one loop's iterations share besides the body: the control (stop, break, failure, token)
// and the exceptions the bodies threw.
struct loop_outcome {
  loop_outcome(cancellation_token token, std::int64_t first_index) : control(std::move(token), first_index) {}
  parallel_loop_control control;
  std::mutex errors_mutex;
  std::vector<std::exception_ptr> errors;  // under errors_mutex

  void record(std::exception_ptr error) {
    {
      std::lock_guard lock(errors_mutex);
      errors.push_back(std::move(error));
    }
    control.raise(parallel_loop_control::exceptional_flag);
  }

  // After every iteration has ended (the joins order the leaves' writes before this): .NET's
  // rules for what the loop throws or returns. Bodies' exceptions win; if each is an
  // operation_canceled for the loop's own token they are reported as that one cancellation.
  parallel_loop_result finish() {
    const cancellation_token& token = control.token();
    if (!errors.empty()) {
      if (token.is_cancellation_requested() && all_canceled_by(token)) throw operation_canceled(token);
      throw aggregate_exception(std::move(errors));
    }
    if (token.is_cancellation_requested()) throw operation_canceled(token);
    parallel_loop_result result;
    result.is_completed =
        (control.flags() & (parallel_loop_control::stopped_flag | parallel_loop_control::broken_flag)) == 0;
    if (control.lowest_break() != parallel_loop_control::no_break) {
      result.lowest_break_iteration = index_at(control.first_index(), control.lowest_break());
    }
    return result;
  }

 private:
  bool all_canceled_by(const cancellation_token& token) const {
    for (const std::exception_ptr& error : errors) {
      try {
        std::rethrow_exception(error);
      } catch (const operation_canceled& canceled) {
        if (!(canceled.token() == token)) return false;
      } catch (...) {
        return false;
      }
    }
    return true;
  }
};

// Runs the iteration at `offset` if the loop still lets it start; false when it may not (the
// loop ended, or the offset is above a break), so that a leaf stops there: its later offsets
// are higher still.
template <class Call>
bool run_iteration(Call& call, loop_outcome& outcome, std::uint64_t offset) {
  if (!outcome.control.may_start(offset)) return false;
  try {
    call(offset, outcome.control);
  } catch (...) {
    outcome.record(std::current_exception());
  }
  return true;
}

// Shared by all leaves of one parallel_for.
template <class Call>
struct loop_state {
  loop_state(Call& loop_body, std::uint64_t workers, loop_outcome& shared) : call(loop_body), worker_count(workers), outcome(shared) {}
  Call& call;  // call(offset, control)
  std::uint64_t worker_count;
  loop_outcome& outcome;
};

template <class Call>
void run_range(pool_worker& worker, loop_state<Call>& state, std::uint64_t first, std::uint64_t last,
               std::uint64_t grain) {
  while (last - first > grain) {
    if (!state.outcome.control.may_start(first)) return;  // nothing here would start
    const std::uint64_t middle = first + (last - first) / 2;
    auto right_half = [&state, &worker, middle, last, grain] {
      pool_worker& runner = *current_worker();
      // A stolen half means some worker ran dry: split it finer than planned so the work
      // keeps spreading (TBB's auto partitioner does the same on steals).
      const std::uint64_t finer = std::max<std::uint64_t>(1, (last - middle) / (2 * state.worker_count));
      run_range(runner, state, middle, last, &runner == &worker ? grain : std::min(grain, finer));
    };
    fork_of<decltype(right_half)> child(right_half);
    {
      joined_fork fork(worker, child);
      run_range(worker, state, first, middle, grain);  // bodies' exceptions are recorded inside
      fork.join();
    }
    if (child.error) state.outcome.record(child.error);
    return;
  }
  for (std::uint64_t offset = first; offset < last; ++offset) {
    if (!run_iteration(state.call, state.outcome, offset)) return;
  }
}

// How many bodies may run at once: options.max_degree_of_parallelism when it is below the
// pool's workers, else 0 (no limit beyond the workers).
inline std::size_t participant_limit(const parallel_options& options, std::size_t workers) noexcept {
  if (options.max_degree_of_parallelism > 0 && static_cast<std::size_t>(options.max_degree_of_parallelism) < workers) {
    return static_cast<std::size_t>(options.max_degree_of_parallelism);
  }
  return 0;
}

// Runs participant(i) for i in [0, participants), each as one leaf of a fork-join over the
// pool: at most `participants` run at a time, and the call returns when all have ended.
template <class Participant>
void run_participants(thread_pool& pool, std::size_t participants, Participant& participant);

// A loop under max_degree_of_parallelism: that many participants, each claiming chunks of
// `grain` offsets in increasing order from one counter and running them. Offsets are claimed in
// order, so a participant whose chunk starts above a break stops: the rest are higher.
template <class Call>
void run_limited(thread_pool& pool, Call& call, loop_outcome& outcome, std::uint64_t count, std::uint64_t grain,
                 std::size_t participants) {
  sync::atomic<std::uint64_t> next{0};
  auto participant = [&](std::size_t) {
    for (;;) {
      // relaxed: the counter only hands out disjoint chunks; what the bodies write is ordered
      // for the caller by the joins.
      std::uint64_t first = next.load(std::memory_order_relaxed);
      std::uint64_t last = 0;
      do {
        if (first >= count) return;
        last = first + std::min(grain, count - first);  // never past count: no wrap-around
      } while (!next.compare_exchange_weak(first, last, std::memory_order_relaxed, std::memory_order_relaxed));
      for (std::uint64_t offset = first; offset < last; ++offset) {
        if (!run_iteration(call, outcome, offset)) return;
      }
    }
  };
  run_participants(pool, participants, participant);
}

// The loop over offsets [0, count) that parallel_for and parallel_for_each share: checks the
// options, runs call(offset, control) for each offset that may start, and applies .NET's rules
// for the outcome (loop_outcome::finish).
template <class Call>
parallel_loop_result run_indexed_loop(std::uint64_t count, std::int64_t first_index, Call& call,
                                      const parallel_options& options) {
  check_parallel_options(options);
  options.token.throw_if_cancellation_requested();
  loop_outcome outcome(options.token, first_index);
  if (count == 0) return outcome.finish();
  thread_pool& pool = choose_pool(options);
  const auto workers = static_cast<std::uint64_t>(pool.worker_count());
  if (const std::size_t participants = participant_limit(options, pool.worker_count())) {
    const std::uint64_t grain = options.grain > 0 ? static_cast<std::uint64_t>(options.grain)
                                                  : std::max<std::uint64_t>(1, count / (8 * participants));
    run_limited(pool, call, outcome, count, grain, participants);
    return outcome.finish();
  }
  loop_state<Call> state(call, workers, outcome);
  const std::uint64_t grain = options.grain > 0 ? static_cast<std::uint64_t>(options.grain)
                                                : std::max<std::uint64_t>(1, count / (8 * workers));
  auto root = [&](pool_worker& worker) { run_range(worker, state, 0, count, grain); };
  run_on_worker(pool, root);
  return outcome.finish();
}

template <class Participant>
void run_participants(thread_pool& pool, std::size_t participants, Participant& participant) {
  auto call = [&participant](std::uint64_t offset, parallel_loop_control&) {
    participant(static_cast<std::size_t>(offset));
  };
  // The participants' own loop: no token, no limit (participants is the limit), one a leaf. A
  // participant records its bodies' exceptions in the outer loop's outcome, never throws.
  loop_outcome participants_outcome(cancellation_token{}, 0);
  loop_state<decltype(call)> state(call, static_cast<std::uint64_t>(pool.worker_count()), participants_outcome);
  auto root = [&](pool_worker& worker) { run_range(worker, state, 0, participants, 1); };
  run_on_worker(pool, root);
  participants_outcome.finish();  // rethrows what a participant itself threw (bad_alloc)
}

// A body that takes a parallel_loop_state& as its last argument.
template <class Body, class... Args>
inline constexpr bool takes_loop_state = std::is_invocable_v<Body&, Args..., parallel_loop_state&>;

// Calls body(args..., state) or body(args...).
template <class Body, class... Args>
void call_loop_body(Body& body, parallel_loop_control& control, std::uint64_t offset, Args&&... args) {
  if constexpr (takes_loop_state<Body, Args...>) {
    parallel_loop_state state(control, offset);
    body(std::forward<Args>(args)..., state);
  } else {
    body(std::forward<Args>(args)...);
  }
}

}  // namespace detail
/// \endcond

/// Runs every callable, potentially in parallel, and returns when all have run. Exceptions:
/// see the header comment.
template <class... Work>
  requires(sizeof...(Work) >= 1 && (std::is_invocable_v<Work&> && ...))
void parallel_invoke(const parallel_options& options, Work&&... work) {
  auto body = [&](detail::pool_worker& worker) {
    if constexpr (sizeof...(Work) == 1) {
      try {
        (work(), ...);
      } catch (...) {
        throw aggregate_exception({std::current_exception()});
      }
    } else {
      detail::invoke_on_worker(worker, std::make_index_sequence<sizeof...(Work) - 1>{}, work...);
    }
  };
  detail::run_on_worker(detail::choose_pool(options), body);
}

template <class... Work>
  requires(sizeof...(Work) >= 1 && (std::is_invocable_v<Work&> && ...))
void parallel_invoke(Work&&... work) {
  parallel_invoke(parallel_options{}, std::forward<Work>(work)...);
}

/// Calls body(i), or body(i, state) with a parallel_loop_state&, for every i in [first, last),
/// potentially in parallel. The range is split in halves down to a grain: options.grain if set,
/// else about 8 leaves per worker, and a half that gets stolen is split finer (see run_range).
/// Under max_degree_of_parallelism, that many participants claim chunks of the range in order.
/// Exceptions, cancellation and the result: see the header comment.
template <std::integral Index, class Body>
  requires(!std::same_as<Index, bool> &&
           (std::is_invocable_v<Body&, Index> || std::is_invocable_v<Body&, Index, parallel_loop_state&>))
parallel_loop_result parallel_for(Index first, Index last, Body&& body, const parallel_options& options = {}) {
  detail::reject_null_callable(body, "tpl::parallel_for");
  if constexpr (detail::takes_loop_state<Body, Index>) {
    static_assert(std::is_signed_v<Index> || sizeof(Index) < sizeof(std::int64_t),
                  "tpl::parallel_for: a body taking a parallel_loop_state needs an index type whose values all fit "
                  "in std::int64_t (lowest_break_iteration is a std::int64_t, as .NET's long)");
  }
  const std::uint64_t count = first < last ? detail::index_distance(first, last) : 0;
  std::int64_t first_index = 0;
  if constexpr (std::is_signed_v<Index> || sizeof(Index) < sizeof(std::int64_t)) first_index = static_cast<std::int64_t>(first);
  auto call = [&body, first](std::uint64_t offset, detail::parallel_loop_control& control) {
    detail::call_loop_body(body, control, offset, detail::index_at(first, offset));
  };
  return detail::run_indexed_loop(count, first_index, call, options);
}

/// \cond TPL_INTERNALS
namespace detail {

// parallel_for_each over a single-pass (input, not forward) range: copies of an input iterator
// share one position, so nothing may keep iterators and come back to them. As .NET's default
// partitioner does for an IEnumerable, every participant pulls a chunk of elements under one
// lock, moving each element out before the iterator advances, and runs the body on its chunk
// outside the lock; chunks start at one element and double up to 64, so a short sequence still
// spreads and a long one pays the lock rarely. Elements are numbered in the order they are
// pulled (the iteration a parallel_loop_state names). After a stop, a failure or a
// cancellation nobody pulls again (elements being processed finish); after a break, nobody
// pulls beyond it.
template <class Range, class Body>
parallel_loop_result for_each_single_pass(Range& range, Body& body, const parallel_options& options) {
  check_parallel_options(options);
  options.token.throw_if_cancellation_requested();
  using value_type = std::ranges::range_value_t<Range>;
  struct shared_source {
    std::mutex mutex;
    std::ranges::iterator_t<Range> next;
    std::ranges::sentinel_t<Range> end;
    std::uint64_t next_offset = 0;  // under mutex: the number of the element `next` names
    std::size_t chunk = 1;          // under mutex
    bool ended = false;             // under mutex: the range ended
  };
  shared_source source{{}, std::ranges::begin(range), std::ranges::end(range)};
  loop_outcome outcome(options.token, 0);
  constexpr std::size_t largest_chunk = 64;
  thread_pool& pool = choose_pool(options);
  std::size_t participants = participant_limit(options, pool.worker_count());
  if (participants == 0) participants = pool.worker_count();
  auto pull_and_run = [&](std::size_t) {
    std::vector<value_type> chunk;
    for (;;) {
      chunk.clear();
      std::uint64_t chunk_offset = 0;
      {
        std::lock_guard lock(source.mutex);
        if (source.ended || !outcome.control.may_start(source.next_offset)) return;
        chunk_offset = source.next_offset;
        for (std::size_t taken = 0; taken < source.chunk && source.next != source.end; ++taken, ++source.next) {
          chunk.push_back(std::ranges::iter_move(source.next));
        }
        source.next_offset += chunk.size();
        if (source.next == source.end) source.ended = true;
        source.chunk = std::min(source.chunk * 2, largest_chunk);
      }
      for (std::size_t index = 0; index < chunk.size(); ++index) {
        auto call = [&body, &chunk, index](std::uint64_t offset, parallel_loop_control& control) {
          call_loop_body(body, control, offset, chunk[index]);
        };
        if (!run_iteration(call, outcome, chunk_offset + index)) return;
      }
    }
  };
  run_participants(pool, participants, pull_and_run);
  return outcome.finish();
}

}  // namespace detail
/// \endcond

/// Calls body(element), or body(element, state) with a parallel_loop_state&, for every element
/// of `range`, potentially in parallel. A random-access sized range is split by index; another
/// multi-pass (forward) range by the positions of its elements, listed first; a single-pass
/// (input) range, such as a std::filesystem::recursive_directory_iterator or a
/// std::views::istream, is read by the participants in chunks under a lock, each element moved
/// out of the range once, and the body is called with that copy (detail::for_each_single_pass).
/// An element's iteration number is its position in the range. Exceptions, cancellation and the
/// result: see the header comment.
template <std::ranges::input_range Range, class Body>
  requires std::is_invocable_v<Body&, std::ranges::range_reference_t<Range>> ||
           std::is_invocable_v<Body&, std::ranges::range_reference_t<Range>, parallel_loop_state&> ||
           (!std::ranges::forward_range<Range> &&
            (std::is_invocable_v<Body&, std::ranges::range_value_t<Range>&> ||
             std::is_invocable_v<Body&, std::ranges::range_value_t<Range>&, parallel_loop_state&>))
parallel_loop_result parallel_for_each(Range&& range, Body&& body, const parallel_options& options = {}) {
  detail::reject_null_callable(body, "tpl::parallel_for_each");
  if constexpr (std::ranges::random_access_range<Range> && std::ranges::sized_range<Range>) {
    auto begin = std::ranges::begin(range);
    const auto count = static_cast<std::uint64_t>(std::ranges::size(range));
    auto call = [&body, &begin](std::uint64_t offset, detail::parallel_loop_control& control) {
      detail::call_loop_body(body, control, offset, begin[static_cast<std::ranges::range_difference_t<Range>>(offset)]);
    };
    return detail::run_indexed_loop(count, 0, call, options);
  } else if constexpr (std::ranges::forward_range<Range>) {
    // Multi-pass: remember where each element is, then split that.
    std::vector<std::ranges::iterator_t<Range>> positions;
    for (auto it = std::ranges::begin(range); it != std::ranges::end(range); ++it) positions.push_back(it);
    auto call = [&body, &positions](std::uint64_t offset, detail::parallel_loop_control& control) {
      detail::call_loop_body(body, control, offset, *positions[static_cast<std::size_t>(offset)]);
    };
    return detail::run_indexed_loop(positions.size(), 0, call, options);
  } else {
    return detail::for_each_single_pass(range, body, options);
  }
}

}  // namespace tpl

/// \file
/// Sizes that shape tpl's lock-free structures, in one place. Model builds (TPL_MODEL_RELACY)
/// shrink them so a handful of operations reaches the edge cases (a deque that grows after two
/// pushes), the way tokio shrinks its local queue under loom.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tpl::config {

#if defined(TPL_MODEL_RELACY)
inline constexpr std::int64_t deque_initial_capacity = 2;
#else
/// 256 slots (2 KiB of pointers): a worker's deque rarely grows in fork-join workloads, whose
/// depth-first execution keeps the deque about as deep as the recursion.
inline constexpr std::int64_t deque_initial_capacity = 256;
#endif

/// How many times an idle worker looks for work (first with a pause instruction, then yielding
/// its time slice) before it goes to sleep. Models use 1: spinning adds nothing to check.
#if defined(TPL_MODEL_RELACY)
inline constexpr int idle_spin_rounds = 1;
#else
inline constexpr int idle_spin_rounds = 64;
#endif

/// How many items a busy worker runs between two looks at the I/O reactor (without waiting), so
/// that CPU-bound work cannot starve I/O: tokio's number (its workers poll their driver every 61
/// tasks). Only while some I/O wait is pending and no idle worker polls (docs/io.md).
inline constexpr std::uint32_t io_poll_interval = 61;

/// How many spare threads a pool may run at once while its workers are parked in waits
/// (docs/pool.md): Java's ForkJoinPool caps compensation at 256 spares; tpl allows more because a
/// chain of waits that runs out of stack continues on a spare (a 10^5-deep chain of nested
/// get()s with 256 KiB stacks needs a few hundred). Models use 2, enough for one handover.
#if defined(TPL_MODEL_RELACY)
inline constexpr std::size_t max_spare_threads = 2;
#else
inline constexpr std::size_t max_spare_threads = 1024;
#endif

/// How long a retired spare thread waits to be needed again before it exits.
inline constexpr int spare_idle_timeout_ms = 5000;

/// Continuations, eagerly started coroutines, joined children and waited-for tasks run inline
/// on the current thread only while at least this much of its stack is left (at most a quarter
/// of a small stack, at least 8 KiB: stack_guard.hpp); below it they are queued to the pool instead, so a
/// chain of a million synchronously completing awaits cannot overflow the stack (.NET's
/// TryEnsureSufficientExecutionStack plays the same role). Sanitizer builds use larger frames.
inline constexpr std::size_t inline_stack_reserve = 256 * 1024;

/// Coroutine frames up to this size are recycled through a per-thread cache of free frames
/// (detail/frame_allocator.hpp), in size classes of 16 bytes, at most frame_cache_frames_per_class
/// frames a class and frame_cache_max_bytes_per_thread bytes in all. Model builds cache nothing,
/// so Relacy's heap sees every frame (leaks, use after free).
inline constexpr std::size_t frame_cache_max_frame_size = 512;
inline constexpr std::size_t frame_cache_max_bytes_per_thread = 144 * 1024;
#if defined(TPL_MODEL_RELACY)
inline constexpr std::size_t frame_cache_frames_per_class = 0;
#else
inline constexpr std::size_t frame_cache_frames_per_class = 64;
#endif

/// Keeps the owner's and the thieves' hot indices on separate cache lines (no false sharing).
/// Models use malloc alignment: Relacy's allocator does not honour over-aligned requests.
#if defined(TPL_MODEL_RELACY)
inline constexpr std::size_t cache_line_size = alignof(std::max_align_t);
#else
inline constexpr std::size_t cache_line_size = 64;
#endif

}  // namespace tpl::config

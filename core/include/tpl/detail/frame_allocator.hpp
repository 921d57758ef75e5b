// Where coroutine frames come from: a per-thread cache of free frames in size classes, in front
// of the global operator new. A fork-join of coroutine tasks frees frames in depth-first bursts
// that overflow glibc's per-thread cache (7 chunks a size) into its slow path; here a freed frame
// goes onto the freeing thread's list for its class and the next frame of that class on that
// thread reuses it: two loads and a store each way, no atomic operation, no lock.
//
// The cache is strictly per thread (a frame freed on another thread than the one that allocated
// it joins the freeing thread's cache), so there is no cross-thread protocol to get wrong or to
// model; models build without it (config::frame_cache_frames_per_class is 0 there) so that
// Relacy's heap sees every frame. Bounded (config.hpp): a full class frees to operator delete.
// A thread's cached frames are freed when the thread exits. Under AddressSanitizer a cached frame
// is poisoned, so a use after free of a coroutine frame is still reported.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

#include "tpl/config.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TPL_FRAME_CACHE_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TPL_FRAME_CACHE_POISON 1
#endif
#endif
#if defined(TPL_FRAME_CACHE_POISON)
#include <sanitizer/asan_interface.h>
#endif

namespace tpl::detail {

class frame_allocator {
 public:
  static void* allocate(std::size_t size) {
    if constexpr (config::frame_cache_frames_per_class > 0) {
      if (size <= config::frame_cache_max_frame_size) {
        thread_cache& cache = local_cache;
        const std::size_t index = class_of(size);
        if (free_frame* frame = cache.heads[index]) {
          unpoison(frame, class_size(index));
          cache.heads[index] = frame->next;
          --cache.counts[index];
          cache.cached_bytes -= class_size(index);
          return frame;
        }
        return ::operator new(class_size(index));
      }
    }
    return ::operator new(size);
  }

  static void deallocate(void* frame, std::size_t size) noexcept {
    if constexpr (config::frame_cache_frames_per_class > 0) {
      if (size <= config::frame_cache_max_frame_size) {
        thread_cache& cache = local_cache;
        const std::size_t index = class_of(size);
        if (cache.counts[index] < config::frame_cache_frames_per_class &&
            cache.cached_bytes + class_size(index) <= config::frame_cache_max_bytes_per_thread && !cache.closed) {
          cache.ensure_flushed_at_exit();
          auto* cached = ::new (frame) free_frame{cache.heads[index]};
          cache.heads[index] = cached;
          ++cache.counts[index];
          cache.cached_bytes += class_size(index);
          poison(cached, class_size(index));
          return;
        }
        ::operator delete(frame, class_size(index));
        return;
      }
    }
    ::operator delete(frame, size);
  }

  // Bytes of free frames the calling thread's cache holds (for tests and diagnostics).
  static std::size_t cached_bytes_on_this_thread() noexcept { return local_cache.cached_bytes; }

 private:
  // 16 bytes, malloc's own alignment step: a frame is rounded up by less than 16 bytes (64-byte
  // classes cost a suspended 144-byte clang frame 48 bytes).
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t class_count = config::frame_cache_max_frame_size / granule;
  static_assert(config::frame_cache_max_frame_size % granule == 0);

  struct free_frame {
    free_frame* next;
  };

  // Trivially constructible and destructible, so that using it costs a thread-local access and
  // nothing else; the flush at thread exit is registered on first use (ensure_flushed_at_exit).
  struct thread_cache {
    std::array<free_frame*, class_count> heads;
    std::array<std::uint32_t, class_count> counts;
    std::size_t cached_bytes;  // of all classes, at most config::frame_cache_max_bytes_per_thread
    bool flush_registered;
    bool closed;  // the thread is exiting: its cache was flushed, frames freed later are not kept

    void ensure_flushed_at_exit() noexcept {
      if (flush_registered) return;
      flush_registered = true;
      thread_local flush_at_exit flusher;  // constructed here, destroyed at thread exit
      (void)flusher;
    }
  };

  struct flush_at_exit {
    flush_at_exit() = default;
    flush_at_exit(const flush_at_exit&) = delete;
    flush_at_exit& operator=(const flush_at_exit&) = delete;
    ~flush_at_exit() {
      thread_cache& cache = local_cache;
      cache.closed = true;
      for (std::size_t index = 0; index < class_count; ++index) {
        while (free_frame* frame = cache.heads[index]) {
          unpoison(frame, class_size(index));
          cache.heads[index] = frame->next;
          ::operator delete(frame, class_size(index));
        }
        cache.counts[index] = 0;
      }
      cache.cached_bytes = 0;
    }
  };

  static std::size_t class_of(std::size_t size) noexcept { return size == 0 ? 0 : (size - 1) / granule; }
  static std::size_t class_size(std::size_t index) noexcept { return (index + 1) * granule; }

  static void poison([[maybe_unused]] void* frame, [[maybe_unused]] std::size_t size) noexcept {
#if defined(TPL_FRAME_CACHE_POISON)
    ASAN_POISON_MEMORY_REGION(frame, size);
#endif
  }
  static void unpoison([[maybe_unused]] void* frame, [[maybe_unused]] std::size_t size) noexcept {
#if defined(TPL_FRAME_CACHE_POISON)
    ASAN_UNPOISON_MEMORY_REGION(frame, size);
#endif
  }

  static inline thread_local thread_cache local_cache{};
};

}  // namespace tpl::detail

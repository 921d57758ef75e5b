// detail::frame_allocator: coroutine frames are reused per thread by size class, bounded, and
// poisoned under AddressSanitizer while cached (a use after free is still reported).
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "tpl/config.hpp"
#include "tpl/detail/frame_allocator.hpp"
#include "tpl/task.hpp"

#if defined(TPL_FRAME_CACHE_POISON)
#include <sanitizer/asan_interface.h>
#endif

namespace {

using tpl::detail::frame_allocator;

TEST(FrameAllocator, AFreedFrameIsReusedForTheSameSizeClassOnTheSameThread) {
  void* first = frame_allocator::allocate(200);
  frame_allocator::deallocate(first, 200);
#if defined(TPL_FRAME_CACHE_POISON)
  EXPECT_TRUE(__asan_address_is_poisoned(first)) << "a cached frame must be poisoned";
#endif
  void* second = frame_allocator::allocate(205);  // 200 and 205 share the 193..208 class
  EXPECT_EQ(second, first);
#if defined(TPL_FRAME_CACHE_POISON)
  EXPECT_FALSE(__asan_address_is_poisoned(second));
#endif
  frame_allocator::deallocate(second, 205);
}

TEST(FrameAllocator, TheCacheIsBoundedPerClass) {
  const std::size_t many = tpl::config::frame_cache_frames_per_class + 10;
  std::vector<void*> frames;
  for (std::size_t index = 0; index < many; ++index) frames.push_back(frame_allocator::allocate(100));
  for (void* frame : frames) frame_allocator::deallocate(frame, 100);
  // Only frame_cache_frames_per_class of them were kept: that many come back, then fresh ones.
  std::set<void*> kept(frames.begin(), frames.end());
  std::vector<void*> again;
  std::size_t reused = 0;
  for (std::size_t index = 0; index < many; ++index) {
    again.push_back(frame_allocator::allocate(100));
    if (kept.count(again.back()) != 0 && index < tpl::config::frame_cache_frames_per_class) ++reused;
  }
  EXPECT_EQ(reused, tpl::config::frame_cache_frames_per_class);
  for (void* frame : again) frame_allocator::deallocate(frame, 100);
}

TEST(FrameAllocator, SizeClassesAreSixteenBytesApart) {
  void* frame = frame_allocator::allocate(200);
  frame_allocator::deallocate(frame, 200);
  void* next_class = frame_allocator::allocate(209);  // 209..224: not the freed 193..208 frame
  EXPECT_NE(next_class, frame);
  frame_allocator::deallocate(next_class, 209);
}

TEST(FrameAllocator, TheCacheIsBoundedInBytesPerThread) {
  // On a fresh thread (an empty cache): free full classes of the largest frames until the
  // byte cap is reached; the class that crosses it keeps only what fits.
  std::thread fresh([] {
    constexpr std::size_t largest = tpl::config::frame_cache_max_frame_size;
    const std::size_t per_class = tpl::config::frame_cache_frames_per_class;
    const std::size_t cap = tpl::config::frame_cache_max_bytes_per_thread;
    std::vector<std::pair<void*, std::size_t>> frames;
    std::size_t offered = 0;
    for (std::size_t size = largest; offered <= cap + per_class * largest; size -= 16) {
      for (std::size_t index = 0; index < per_class; ++index) frames.emplace_back(frame_allocator::allocate(size), size);
      offered += per_class * size;
    }
    EXPECT_EQ(frame_allocator::cached_bytes_on_this_thread(), 0u);
    for (auto [frame, size] : frames) frame_allocator::deallocate(frame, size);
    EXPECT_LE(frame_allocator::cached_bytes_on_this_thread(), cap);
    EXPECT_GT(frame_allocator::cached_bytes_on_this_thread(), cap - largest) << "the cache should fill up to its cap";
    // Taking the frames back empties it again.
    for (auto& [frame, size] : frames) frame = frame_allocator::allocate(size);
    EXPECT_EQ(frame_allocator::cached_bytes_on_this_thread(), 0u);
    for (auto [frame, size] : frames) frame_allocator::deallocate(frame, size);
  });
  fresh.join();
}

TEST(FrameAllocator, LargeFramesBypassTheCache) {
  void* large = frame_allocator::allocate(tpl::config::frame_cache_max_frame_size + 1);
  frame_allocator::deallocate(large, tpl::config::frame_cache_max_frame_size + 1);
#if defined(TPL_FRAME_CACHE_POISON)
  EXPECT_TRUE(__asan_address_is_poisoned(large)) << "freed by operator delete: ASan's own poisoning";
#endif
}

TEST(FrameAllocator, FramesFreedOnAnotherThreadStayWithThatThread) {
  // A coroutine created here and destroyed on another thread: its frame joins that thread's
  // cache and is freed when that thread exits (LeakSanitizer checks the flush in ASan builds).
  auto coroutine = []() -> tpl::task<int> { co_return 1; };
  tpl::task<int> made_here = coroutine();
  std::thread other([moved = std::move(made_here)]() mutable {
    EXPECT_EQ(moved.get(), 1);
    moved = tpl::task<int>();  // the last handle: the frame is freed on this thread
  });
  other.join();
}

}  // namespace

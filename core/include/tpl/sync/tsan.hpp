// Everything tpl does because ThreadSanitizer is watching lives here, in one place.
//
// TSan builds use the production backend unchanged; two facts about TSan need handling:
//
// 1. TSan does not model std::atomic_thread_fence: it neither adds happens-before edges for a
//    fence nor reorders around it. A missing edge can only make TSan report *more* races, never
//    hide one, so a fence stays a real fence (the hardware still needs it). tpl's protocols are
//    written so that every publication of plain data is a release *store* paired with an acquire
//    *load* (which TSan sees), and fences are used only for the store->load (Dekker) ordering of
//    two atomics, which TSan does not check anyway. So no suppression is needed, and TSan still
//    catches a weakened publication. g++ 12 warns (-Wtsan) that fences are unsupported; that
//    warning is silenced for exactly the one fence call in std/fence.hpp, with this reason.
// 2. TSan keeps its own shadow call stack per thread, of fixed size (64Ki entries in LLVM 19);
//    recursion deeper than that crashes inside TSan however large the real stack is. Task code
//    bounds its inline recursion by stack left (detail/stack_guard.hpp); under TSan it also
//    limits itself to a slice of the stack small enough for the shadow stack.
// 3. libstdc++'s std::mutex has a trivial destructor: it never calls pthread_mutex_destroy, so
//    TSan keeps a destroyed mutex's identity, and a later mutex at the same address (a pool made
//    in the same stack slot by the next test) inherits its lock-order edges. TSan then reports
//    lock-order cycles between mutexes that never coexisted (it did, once a pool's layout
//    changed in issue 30). sync::mutex's destructor tells TSan the mutex is gone
//    (TPL_TSAN_MUTEX_DESTROYED), which is what pthread_mutex_destroy would have told it.
// 4. Detection: g++ defines __SANITIZE_THREAD__, clang reports __has_feature(thread_sanitizer).
#pragma once

#if defined(__SANITIZE_THREAD__)
#define TPL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TPL_TSAN 1
#endif
#endif

#ifndef TPL_TSAN
#define TPL_TSAN 0
#endif

// Wraps a statement that calls a standalone fence so g++'s -Wtsan does not fire (see point 1).
#if TPL_TSAN && defined(__GNUC__) && !defined(__clang__)
#define TPL_TSAN_FENCE_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wtsan\"")
#define TPL_TSAN_FENCE_END _Pragma("GCC diagnostic pop")
#else
#define TPL_TSAN_FENCE_BEGIN
#define TPL_TSAN_FENCE_END
#endif

#if TPL_TSAN
#include <sanitizer/tsan_interface.h>
#define TPL_TSAN_MUTEX_DESTROYED(address) __tsan_mutex_destroy((address), 0)
#else
#define TPL_TSAN_MUTEX_DESTROYED(address) ((void)(address))
#endif

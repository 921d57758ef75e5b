// Includes Relacy and contains its macros, so model builds compile tpl's real headers unchanged.
//
// relacy.hpp (Debian relacy-dev, git 2019-10-25) defines ~200 object- and function-like macros:
// `new`, `delete`, `malloc`, `free`, `assert`, `errno`, `$`, `memory_order_*`, every `pthread_*`,
// `sem_*`, `sched_yield`, errno constants, and many Windows API names. Left defined, they rewrite
// standard headers and tpl code that come after. So: include every standard/system header first,
// save the few macros that already existed (errno constants, assert, errno), include relacy.hpp,
// undefine everything it added (its own RL_* names stay; they are prefixed and harmless), and
// restore the saved ones. The list is `g++ -dM -E` with and without relacy.hpp, diffed;
// docs/sync.md gives the command. The #error at the end fails the model build if one leaks.
#pragma once

#if !defined(TPL_MODEL_RELACY)
#error "tpl/sync/relacy/ is the model backend: build with -DTPL_MODEL_RELACY"
#endif

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <set>
#include <source_location>
#include <sstream>
#include <string>
#include <sys/time.h>
#include <thread>
#include <time.h>
#include <typeinfo>
#include <unistd.h>
#include <utility>
#include <vector>

#pragma push_macro("EAGAIN")
#pragma push_macro("EBUSY")
#pragma push_macro("EINTR")
#pragma push_macro("EINVAL")
#pragma push_macro("ETIMEDOUT")
#pragma push_macro("EWOULDBLOCK")
#pragma push_macro("assert")
#pragma push_macro("errno")

#include <relacy/relacy.hpp>

#undef $
#undef AcquireSRWLockExclusive
#undef AcquireSRWLockShared
#undef CONDITION_VARIABLE
#undef CONDITION_VARIABLE_LOCKMODE_SHARED
#undef CRITICAL_SECTION
#undef CloseHandle
#undef CreateEvent
#undef CreateEventA
#undef CreateEventW
#undef CreateMutex
#undef CreateMutexA
#undef CreateMutexW
#undef CreateSemaphore
#undef CreateSemaphoreA
#undef CreateSemaphoreW
#undef CreateThread
#undef DeleteConditionVariable
#undef DeleteCriticalSection
#undef DeleteSRWLock
#undef EAGAIN
#undef EBUSY
#undef EINTR
#undef EINVAL
#undef ETIMEDOUT
#undef EWOULDBLOCK
#undef EnterCriticalSection
#undef FUTEX_WAIT
#undef FUTEX_WAKE
#undef FlushProcessWriteBuffers
#undef HANDLE
#undef INFINITE
#undef InitializeConditionVariable
#undef InitializeCriticalSection
#undef InitializeCriticalSectionAndSpinCount
#undef InitializeCriticalSectionEx
#undef InitializeSRWLock
#undef LeaveCriticalSection
#undef MAXIMUM_WAIT_OBJECTS
#undef PTHREAD_MUTEX_DEFAULT
#undef PTHREAD_MUTEX_ERRORCHECK
#undef PTHREAD_MUTEX_NORMAL
#undef PTHREAD_MUTEX_RECURSIVE
#undef PulseEvent
#undef ReleaseMutex
#undef ReleaseSRWLockExclusive
#undef ReleaseSRWLockShared
#undef ReleaseSemaphore
#undef ResetEvent
#undef ResumeThread
#undef SRWLOCK
#undef SetEvent
#undef SetThreadAffinityMask
#undef SignalObjectAndWait
#undef Sleep
#undef SleepConditionVariableCS
#undef SleepConditionVariableSRW
#undef SuspendThread
#undef SwitchToThread
#undef TLS_T
#undef TlsAlloc
#undef TlsFree
#undef TlsGetValue
#undef TlsSetValue
#undef TryEnterCriticalSection
#undef VAR
#undef VAR_T
#undef WAIT_FAILED
#undef WAIT_IO_COMPLETION
#undef WAIT_OBJECT_0
#undef WAIT_TIMEOUT
#undef WaitForMultipleObjects
#undef WaitForMultipleObjectsEx
#undef WaitForSingleObject
#undef WakeAllConditionVariable
#undef WakeConditionVariable
#undef assert
#undef calloc
#undef delete
#undef errno
#undef free
#undef futex
#undef malloc
#undef memory_order_acq_rel
#undef memory_order_acquire
#undef memory_order_consume
#undef memory_order_relaxed
#undef memory_order_release
#undef memory_order_seq_cst
#undef new
#undef pthread_attr_t
#undef pthread_cond_broadcast
#undef pthread_cond_destroy
#undef pthread_cond_init
#undef pthread_cond_signal
#undef pthread_cond_t
#undef pthread_cond_timedwait
#undef pthread_cond_wait
#undef pthread_condattr_t
#undef pthread_create
#undef pthread_join
#undef pthread_mutex_destroy
#undef pthread_mutex_init
#undef pthread_mutex_lock
#undef pthread_mutex_t
#undef pthread_mutex_timedlock
#undef pthread_mutex_try_lock
#undef pthread_mutex_unlock
#undef pthread_mutexattr_destroy
#undef pthread_mutexattr_init
#undef pthread_mutexattr_settype
#undef pthread_mutexattr_t
#undef pthread_rwlock_destroy
#undef pthread_rwlock_init
#undef pthread_rwlock_rdlock
#undef pthread_rwlock_t
#undef pthread_rwlock_tryrdlock
#undef pthread_rwlock_trywrlock
#undef pthread_rwlock_unlock
#undef pthread_rwlock_wrlock
#undef pthread_t
#undef pthread_yield
#undef realloc
#undef rl_CreateEvent
#undef rl_CreateMutex
#undef rl_CreateSemaphore
#undef sched_yield
#undef sem_destroy
#undef sem_getvalue
#undef sem_init
#undef sem_post
#undef sem_t
#undef sem_trywait
#undef sem_wait

#pragma pop_macro("EAGAIN")
#pragma pop_macro("EBUSY")
#pragma pop_macro("EINTR")
#pragma pop_macro("EINVAL")
#pragma pop_macro("ETIMEDOUT")
#pragma pop_macro("EWOULDBLOCK")
#pragma pop_macro("assert")
#pragma pop_macro("errno")

#if defined(new) || defined(delete) || defined(malloc) || defined(free) || defined(memory_order_relaxed) || \
    defined(VAR) || defined(pthread_create) || defined(sched_yield)
#error "a Relacy macro leaked out of relacy_include.hpp"
#endif

namespace tpl::sync::detail {

// Relacy reports point at the caller of a facade operation, not at the facade.
inline rl::debug_info to_debug_info(const std::source_location& loc) noexcept {
  return rl::debug_info(loc.function_name(), loc.file_name(), static_cast<unsigned>(loc.line()));
}

inline rl::memory_order to_relacy(std::memory_order order) noexcept {
  switch (order) {
    case std::memory_order_relaxed: return rl::mo_relaxed;
    case std::memory_order_consume: return rl::mo_consume;
    case std::memory_order_acquire: return rl::mo_acquire;
    case std::memory_order_release: return rl::mo_release;
    case std::memory_order_acq_rel: return rl::mo_acq_rel;
    case std::memory_order_seq_cst: return rl::mo_seq_cst;
  }
  return rl::mo_seq_cst;
}

// All Relacy fibers run on one OS thread and so share libstdc++'s per-thread exception globals
// (__cxa_get_globals: the caught-exception stack and the uncaught count). A fiber switched out
// inside a catch block would, on `throw;`, rethrow another fiber's exception (measured). Every
// facade operation is a potential switch point, so each one saves this fiber's two words on
// entry and restores them on exit.
class exception_state_guard {
 public:
  exception_state_guard() noexcept
      : globals_(reinterpret_cast<eh_globals*>(abi::__cxa_get_globals())), saved_(*globals_) {}
  ~exception_state_guard() { *globals_ = saved_; }
  exception_state_guard(const exception_state_guard&) = delete;
  exception_state_guard& operator=(const exception_state_guard&) = delete;

 private:
  // Layout of libstdc++'s __cxa_eh_globals (unwind-cxx.h); it has been stable since GCC 3.
  struct eh_globals {
    void* caught_exceptions;
    unsigned int uncaught_exceptions;
  };
  eh_globals* globals_;
  eh_globals saved_;
};

}  // namespace tpl::sync::detail

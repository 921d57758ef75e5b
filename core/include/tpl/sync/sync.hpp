// tpl::sync — the one atomics/threading facade every lock-free algorithm in tpl is written against.
//
// The same algorithm text compiles against two backends:
//   * production (default): std::atomic, plain memory, std::mutex/std::condition_variable,
//     std::thread. ThreadSanitizer builds use this backend too; what TSan cannot see is handled
//     in tsan.hpp, once.
//   * Relacy (TPL_MODEL_RELACY defined): rl::atomic, rl::var, rl::mutex, rl::dyn_thread, so the
//     model checker explores every interleaving and memory-order outcome of the real code.
//
// Both backends expose exactly the same names and signatures in namespace tpl::sync, so
// algorithm code never branches on the backend. Every operation takes a trailing
// `location loc = location::current()`; the Relacy backend turns it into rl::debug_info so a
// model report names the caller's line, the production backend ignores it.
//
// This header only selects; one header per primitive lives in std/ and relacy/.
#pragma once

#if defined(TPL_MODEL_RELACY)
#include "tpl/sync/relacy/relacy_include.hpp"  // must precede every other relacy/ header
#include "tpl/sync/relacy/allocation.hpp"
#include "tpl/sync/relacy/atomic.hpp"
#include "tpl/sync/relacy/backoff.hpp"
#include "tpl/sync/relacy/cell.hpp"
#include "tpl/sync/relacy/fence.hpp"
#include "tpl/sync/relacy/mutex.hpp"
#include "tpl/sync/relacy/thread.hpp"
#include "tpl/sync/relacy/thread_local.hpp"
#else
#include "tpl/sync/std/allocation.hpp"
#include "tpl/sync/std/atomic.hpp"
#include "tpl/sync/std/backoff.hpp"
#include "tpl/sync/std/cell.hpp"
#include "tpl/sync/std/fence.hpp"
#include "tpl/sync/std/mutex.hpp"
#include "tpl/sync/std/thread.hpp"
#include "tpl/sync/std/thread_local.hpp"
#endif

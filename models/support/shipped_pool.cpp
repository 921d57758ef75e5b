// The shipped pool (core/src/thread_pool.cpp itself, with the compiled task scheduling and
// blocking waits), compiled against the Relacy backend for
// models whose task code names it: task scheduling and blocking waits have a worker path that
// these models' threads (never workers) do not take, but the code is the production code and
// must link. model_pool, which runs the pool, compiles the same file in its own unit.
#include "../../core/src/thread_pool.cpp"
#include "../../core/src/task_scheduling.cpp"
#include "../../core/src/blocking_wait.cpp"

// The default pool's exit handler calls this; no model creates the default pool (a model that
// queued work from a non-worker would, and fails: the pool's threads outnumber the model's).
void tpl::detail::timer_service::stop_at_exit() {}

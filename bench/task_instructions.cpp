// One workload, once, on one worker: what scripts/instructions_per_task.py runs under callgrind
// to count instructions per task (wall time on the shared 2-core VMs varies ±40% between runs;
// instruction counts do not). The coroutine-task shapes are bench_fork_join's (one child
// spawned through yield(), one awaited inline); oneTBB's are its task_group versions.
//
//   task_instructions WORKLOAD SIZE     WORKLOAD: tpl_task_fib, tbb_fib, tpl_task_skynet, tbb_skynet
#include <tbb/global_control.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "task_workloads.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

using tpl_bench::coroutine_fib;
using tpl_bench::coroutine_skynet;
using tpl_bench::tbb_fib;
using tpl_bench::tbb_skynet;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: task_instructions tpl_task_fib|tbb_fib|tpl_task_skynet|tbb_skynet SIZE\n");
    return 2;
  }
  const std::int64_t size = std::atoll(argv[2]);
  std::int64_t result = 0;
  if (std::strncmp(argv[1], "tpl_", 4) == 0) {
    tpl::thread_pool pool(1);
    if (std::strcmp(argv[1], "tpl_task_fib") == 0) {
      result = tpl::run(pool, [size] { return coroutine_fib(static_cast<int>(size), false); }).get();
    } else {
      result = tpl::run(pool, [size] { return coroutine_skynet(0, size, false); }).get();
    }
  } else {
    tbb::global_control one_worker(tbb::global_control::max_allowed_parallelism, 1);
    result = std::strcmp(argv[1], "tbb_fib") == 0 ? tbb_fib(static_cast<int>(size)) : tbb_skynet(0, size);
  }
  std::printf("%lld\n", static_cast<long long>(result));
  return 0;
}

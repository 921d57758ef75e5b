// One workload, once, on one worker: what scripts/instructions_per_task.py runs under callgrind
// to count instructions per task (wall time on the shared 2-core VMs varies ±40% between runs;
// instruction counts do not). The workloads are task_workloads.hpp's, in both task shapes; each
// coroutine workload is compiled in a file of its own (tpl_task_*.cpp says why).
//
//   task_instructions WORKLOAD SIZE
//   WORKLOAD: tpl_task_fib, tbb_fib, tpl_task_fib_all, tbb_fib_all,
//             tpl_task_skynet, tbb_skynet, tpl_task_skynet_all, tbb_skynet_all
#include <tbb/global_control.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "../task_workloads.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

tpl::task<std::int64_t> tpl_task_fib(std::int64_t size);
tpl::task<std::int64_t> tpl_task_fib_all(std::int64_t size);
tpl::task<std::int64_t> tpl_task_skynet(std::int64_t size);
tpl::task<std::int64_t> tpl_task_skynet_all(std::int64_t size);

namespace {
using coroutine_workload = tpl::task<std::int64_t> (*)(std::int64_t size);
using tbb_workload = std::int64_t (*)(std::int64_t size);

const std::map<std::string, coroutine_workload> coroutine_workloads = {
    {"tpl_task_fib", &tpl_task_fib},
    {"tpl_task_fib_all", &tpl_task_fib_all},
    {"tpl_task_skynet", &tpl_task_skynet},
    {"tpl_task_skynet_all", &tpl_task_skynet_all},
};
const std::map<std::string, tbb_workload> tbb_workloads = {
    {"tbb_fib", [](std::int64_t n) { return tpl_bench::tbb_fib(static_cast<int>(n)); }},
    {"tbb_fib_all", [](std::int64_t n) { return tpl_bench::tbb_fib_all_spawned(static_cast<int>(n)); }},
    {"tbb_skynet", [](std::int64_t size) { return tpl_bench::tbb_skynet(0, size); }},
    {"tbb_skynet_all", [](std::int64_t size) { return tpl_bench::tbb_skynet_all_spawned(0, size); }},
};
}  // namespace

int main(int argc, char** argv) {
  const auto coroutine = argc == 3 ? coroutine_workloads.find(argv[1]) : coroutine_workloads.end();
  const auto tbb = argc == 3 ? tbb_workloads.find(argv[1]) : tbb_workloads.end();
  if (coroutine == coroutine_workloads.end() && tbb == tbb_workloads.end()) {
    std::fprintf(stderr, "usage: task_instructions WORKLOAD SIZE; WORKLOAD is one of");
    for (const auto& [name, _] : coroutine_workloads) std::fprintf(stderr, " %s", name.c_str());
    for (const auto& [name, _] : tbb_workloads) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const std::int64_t size = std::atoll(argv[2]);
  std::int64_t result = 0;
  if (coroutine != coroutine_workloads.end()) {
    tpl::thread_pool pool(1);
    const coroutine_workload body = coroutine->second;
    result = tpl::run(pool, [body, size] { return body(size); }).get();
  } else {
    tbb::global_control one_worker(tbb::global_control::max_allowed_parallelism, 1);
    result = tbb->second(size);
  }
  std::printf("%lld\n", static_cast<long long>(result));
  return 0;
}

// The coroutine workload tpl_task_skynet in a translation unit of its own: GCC's inliner budgets
// growth per unit, and four coroutine workloads in one unit cost each ~20 more instructions per
// task than a program holding one (measured: fib 349 alone, 371 beside the others).
#include "../task_workloads.hpp"

tpl::task<std::int64_t> tpl_task_skynet(std::int64_t size) { return tpl_bench::coroutine_skynet(0, size, false); }

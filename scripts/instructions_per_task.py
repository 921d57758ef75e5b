#!/usr/bin/env python3
"""Instructions per task for the coroutine-task workloads against oneTBB, in both task shapes
(one child spawned + one inline; `_all`: every child spawned; bench/task_workloads.hpp), counted by callgrind
(valgrind): each workload runs at two sizes and the difference in instructions is divided by the
difference in tasks, so start-up and shutdown cancel out. Wall time on the shared 2-core VMs
varies ±40% between runs; these counts do not. `make bench` runs it when valgrind is installed.

Usage: instructions_per_task.py BUILD_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile


def fib_tasks(n):
    """Tasks (calls) in fib(n): T(n) = 1 + T(n-1) + T(n-2), T(0) = T(1) = 1."""
    a, b = 1, 1
    for _ in range(n - 1):
        a, b = b, 1 + a + b
    return b if n >= 1 else 1


def skynet_tasks(size):
    tasks, level = 0, 1
    while size >= 1:
        tasks += level
        level *= 10
        size //= 10
    return tasks


WORKLOADS = [  # name, small size, large size, tasks(size)
    ("tpl_task_fib", 20, 25, fib_tasks),
    ("tbb_fib", 20, 25, fib_tasks),
    ("tpl_task_skynet", 10_000, 100_000, skynet_tasks),
    ("tbb_skynet", 10_000, 100_000, skynet_tasks),
    ("tpl_task_fib_all", 20, 25, fib_tasks),
    ("tbb_fib_all", 20, 25, fib_tasks),
    ("tpl_task_skynet_all", 10_000, 100_000, skynet_tasks),
    ("tbb_skynet_all", 10_000, 100_000, skynet_tasks),
]


def instructions(binary, workload, size):
    with tempfile.TemporaryDirectory() as scratch:
        out = pathlib.Path(scratch) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(binary), workload, str(size)],
                       check=True, capture_output=True)
        summary = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE)
        return int(summary.group(1))


def main():
    binary = pathlib.Path(sys.argv[1]) / "bench" / "task_instructions"
    per_task = {}
    print("instructions per task (callgrind, 1 worker; difference of two sizes)")
    for name, small, large, tasks in WORKLOADS:
        count = (instructions(binary, name, large) - instructions(binary, name, small)) / (tasks(large) - tasks(small))
        per_task[name] = count
        print(f"  {name:18s} {count:8.0f}")
    for shape in ("fib", "skynet", "fib_all", "skynet_all"):
        print(f"  tpl / oneTBB, {shape}: {per_task['tpl_task_' + shape] / per_task['tbb_' + shape]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

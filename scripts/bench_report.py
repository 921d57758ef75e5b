#!/usr/bin/python3
"""make bench-report: runs the fork-join and cancellation benchmarks with JSON output, draws
ns/task per workload and runtime and tpl's cancellation against std::stop_source with
matplotlib (Debian's python3-matplotlib; hence /usr/bin/python3), and writes docs/benchmarks.md
with the machine's description and the date. One run: wall times on shared machines swing
±40% between runs, so read the ratios within the run.

Usage: scripts/bench_report.py BUILD_DIR
"""
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURES = DOCS / "benchmarks"
# Tasks per run of each workload (bench_fork_join.cpp's header comment).
TASKS = {"fib(30)": 2_692_537, "fib(30) all": 2_692_537, "skynet": 1_111_111, "skynet all": 1_111_111,
         "nqueens(11)": 166_925, "reduce 50M": 32_767}
LIBRARIES = ["tpl", "tpl-task", "oneTBB", "OpenMP"]


def run_json(binary, extra=()):
    with tempfile.TemporaryDirectory() as scratch:
        out = pathlib.Path(scratch) / "out.json"
        subprocess.run([str(binary), f"--benchmark_out={out}", "--benchmark_out_format=json", *extra],
                       check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def seconds_of(entry):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry.get("time_unit", "ns")]
    return entry["real_time"] * scale


def fork_join(build):
    report = run_json(build / "bench" / "bench_fork_join")
    rows = {}  # (workload, library, workers) -> ns per task
    for entry in report["benchmarks"]:
        workload, library, workers = entry["name"].split("/")[:3]
        workers = int(workers.split(":")[1])
        if workload in TASKS:
            rows[(workload, library, workers)] = seconds_of(entry) * 1e9 / TASKS[workload]
    return report["context"], rows


def cancellation(build):
    report = run_json(build / "bench" / "bench_cancellation")
    rows = {}  # (operation, implementation, threads) -> ns per operation
    for entry in report["benchmarks"]:
        parts = entry["name"].split("/")
        threads = next((int(p.split(":")[1]) for p in parts if p.startswith("threads:")), 1)
        rows[(parts[0], parts[1], threads)] = seconds_of(entry) * 1e9
    return rows


def plot_fork_join(rows, workers, path):
    workloads = [w for w in TASKS if any((w, lib, workers) in rows for lib in LIBRARIES)]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(LIBRARIES)
    for index, library in enumerate(LIBRARIES):
        xs = [n + index * width for n, w in enumerate(workloads) if (w, library, workers) in rows]
        ys = [rows[(w, library, workers)] for w in workloads if (w, library, workers) in rows]
        axis.bar(xs, ys, width, label=library)
    axis.set_xticks([n + 0.4 - width / 2 for n in range(len(workloads))], workloads)
    axis.set_yscale("log")
    axis.set_ylabel("ns per task (log)")
    axis.set_title(f"fork-join workloads, {workers} worker{'s' if workers > 1 else ''}")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_cancellation(rows, path):
    keys = sorted({(op, threads) for (op, _, threads) in rows})
    labels = [f"{op}" + (f" ({threads} threads)" if threads > 1 else "") for op, threads in keys]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    for index, family in enumerate(["tpl", "std"]):
        values = []
        for op, threads in keys:
            match = [v for (o, impl, t), v in rows.items() if o == op and t == threads and impl.startswith(family)]
            values.append(match[0] if match else 0)
        axis.bar([n + index * 0.4 for n in range(len(keys))], values, 0.4,
                 label="tpl" if family == "tpl" else "std::stop_source / stop_callback")
    axis.set_xticks([n + 0.2 for n in range(len(keys))], labels, rotation=15, ha="right")
    axis.set_yscale("log")
    axis.set_ylabel("ns per operation (log)")
    axis.set_title("cancellation: tpl against the standard library")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def machine():
    model = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, Linux {platform.release()}"


def main():
    build = pathlib.Path(sys.argv[1]).resolve()
    FIGURES.mkdir(parents=True, exist_ok=True)
    context, fj = fork_join(build)
    cancel = cancellation(build)
    worker_counts = sorted({w for (_, _, w) in fj})
    for workers in worker_counts:
        plot_fork_join(fj, workers, FIGURES / f"fork_join_{workers}_workers.png")
    plot_cancellation(cancel, FIGURES / "cancellation.png")

    lines = ["# Benchmarks", "",
             "Written by `make bench-report` (scripts/bench_report.py) from one run of `bench_fork_join` and",
             "`bench_cancellation`; do not edit by hand. Wall times on shared machines swing ±40% between",
             "runs: compare rows of this run, not with other runs.", "",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {machine()}",
             f"- Google Benchmark saw {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz; "
             "tpl and the benchmarks built with the `release` preset (g++ 12, CMake Release)", "",
             "## Fork-join workloads (ns per task)", ""]
    for workers in worker_counts:
        lines += [f"![fork-join, {workers} workers](benchmarks/fork_join_{workers}_workers.png)", ""]
    lines += ["| workload | workers | " + " | ".join(LIBRARIES) + " |", "|---|---|" + "---|" * len(LIBRARIES)]
    for workload in TASKS:
        for workers in worker_counts:
            cells = [f"{fj[(workload, lib, workers)]:.1f}" if (workload, lib, workers) in fj else "—" for lib in LIBRARIES]
            if all(c == "—" for c in cells):
                continue
            lines.append(f"| {workload} | {workers} | " + " | ".join(cells) + " |")
    lines += ["", "## Cancellation (ns per operation)", "", "![cancellation](benchmarks/cancellation.png)", "",
              "| operation | implementation | threads | ns |", "|---|---|---|---|"]
    for (op, impl, threads), value in sorted(cancel.items()):
        lines.append(f"| {op} | {impl} | {threads} | {value:.1f} |")
    (DOCS / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {DOCS / 'benchmarks.md'} and {len(worker_counts) + 1} figures in {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# What tpl::diagnostics costs, in one run: bench/bench_diagnostics built twice, with the hooks
# compiled in (build/release: recording off, recording on, an empty tracer) and compiled out
# (build/nodiag, -DTPL_DIAGNOSTICS=OFF). Prints the medians of 5 repetitions and their ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target bench_diagnostics
cmake --preset release -B build/nodiag -DTPL_DIAGNOSTICS=OFF -DTPL_BUILD_TESTS=OFF -DTPL_BUILD_MODELS=OFF \
  -DTPL_BUILD_EXAMPLES=OFF -DTPL_BUILD_DIAGRAMS=OFF >/dev/null
cmake --build build/nodiag --target bench_diagnostics
args=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_format=json)
./build/nodiag/bench/bench_diagnostics "${args[@]}" > build/nodiag/diagnostics_off.json
./build/release/bench/bench_diagnostics "${args[@]}" > build/release/diagnostics_in.json
/usr/bin/python3 - build/nodiag/diagnostics_off.json build/release/diagnostics_in.json <<'PY'
import json, sys
def medians(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = b["real_time"]
    return out
compiled_out, compiled_in = medians(sys.argv[1]), medians(sys.argv[2])
print(f"{'workload':<18}{'compiled out':>14}{'off':>10}{'recording':>12}{'tracer':>10}   off/out  rec/off  trace/off")
for workload in ("coroutine_fib", "coroutine_skynet", "fork_join_fib"):
    base = compiled_out[f"{workload}/0/real_time"]
    off, rec, trace = (compiled_in[f"{workload}/{mode}/real_time"] for mode in (0, 1, 2))
    print(f"{workload:<18}{base:>12.2f}ms{off:>8.2f}ms{rec:>10.2f}ms{trace:>8.2f}ms   "
          f"{off / base:7.3f}  {rec / off:7.3f}  {trace / off:8.3f}")
PY

# Instructions (callgrind), which wall-clock noise on a shared machine cannot hide: one iteration
# of each workload on a 1-worker pool, hooks compiled out vs compiled in with recording off.
count_instructions() {  # binary filter
  TPL_BENCH_WORKERS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" \
    --benchmark_filter="$2" --benchmark_min_time=0 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo
echo "instructions, 1 worker, one iteration (callgrind): compiled out / in, recording off"
for workload in coroutine_fib coroutine_skynet fork_join_fib; do
  out=$(count_instructions build/nodiag/bench/bench_diagnostics "^$workload/0/")
  in=$(count_instructions build/release/bench/bench_diagnostics "^$workload/0/")
  /usr/bin/python3 -c "print(f'{\"$workload\":<18}{$out:>14,}{$in:>14,}   in/out {$in / $out:.4f}')"
done

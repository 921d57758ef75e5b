#!/usr/bin/env bash
# Compile time of tpl's public headers beside oneTBB's task_group.h, in one run (a benchmark,
# not a test: the shared VMs' wall times swing ±40% between runs, so compare rows of one run).
#
# For each header: `-fsyntax-only` time of a file that only includes it (best of N runs) and its
# preprocessed line count; then a typical usage file (compile_time/usage_*.cpp) at -O2 -c.
#
#   bench/compile_time.sh [RUNS]      RUNS: timings per row, the best is kept (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cxx=${CXX:-g++}
flags=(-std=c++20 -Icore/include)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

best_seconds() {  # best_seconds COMMAND...: the quickest of $runs runs, in seconds
  local best=""
  for ((run = 0; run < runs; ++run)); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    best=$(echo "$start $end $best" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  echo "$best"
}

row() {  # row NAME INCLUDE
  local name=$1 include=$2
  echo "#include <$include>" > "$scratch/only.cpp"
  local lines seconds
  lines=$($cxx "${flags[@]}" -E "$scratch/only.cpp" | wc -l)
  seconds=$(best_seconds $cxx "${flags[@]}" -fsyntax-only "$scratch/only.cpp")
  printf "%-40s %10s %12s\n" "$name" "$seconds" "$lines"
}

echo "compiler: $($cxx --version | head -1); best of $runs runs"
printf "%-40s %10s %12s\n" "header (-fsyntax-only)" "seconds" "lines (-E)"
row "oneTBB tbb/task_group.h" tbb/task_group.h
for header in core/include/tpl/*.hpp; do
  name=${header#core/include/}
  row "$name" "$name"
done

echo
printf "%-40s %10s\n" "usage file (-O2 -c)" "seconds"
tpl_seconds=$(best_seconds $cxx "${flags[@]}" -O2 -c bench/compile_time/usage_tpl.cpp -o "$scratch/usage_tpl.o")
tbb_seconds=$(best_seconds $cxx "${flags[@]}" -O2 -c bench/compile_time/usage_tbb.cpp -o "$scratch/usage_tbb.o")
printf "%-40s %10s\n" "compile_time/usage_tbb.cpp (oneTBB)" "$tbb_seconds"
printf "%-40s %10s\n" "compile_time/usage_tpl.cpp (tpl)" "$tpl_seconds"
echo "$tpl_seconds $tbb_seconds" | awk '{ printf "tpl / oneTBB, usage file: %.2fx\n", $1 / $2 }'

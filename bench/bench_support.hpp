// What the benchmark programs that compare libraries share: the worker counts to measure
// (TPL_BENCH_WORKERS), a reporter that keeps each run's seconds for the summary table, and the
// result check that aborts a run measuring wrong code.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace tpl_bench {

// Every benchmark checks its result: a wrong one aborts the run (it would time wrong code).
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "WRONG RESULT: %s\n", what);
    std::abort();
  }
}

// 1 and 2 by default; TPL_BENCH_WORKERS="1,2,4,8,16" measures others (for a bigger machine).
inline std::vector<int> worker_counts() {
  std::vector<int> counts;
  const char* setting = std::getenv("TPL_BENCH_WORKERS");
  std::string text = setting != nullptr ? setting : "1,2";
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = text.find(',', start);
    const int count = std::atoi(text.substr(start, comma - start).c_str());
    if (count > 0) counts.push_back(count);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (counts.empty()) counts = {1, 2};
  return counts;
}

// Collects each run's real time per iteration for the table printed at the end.
class table_reporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;  // benchmark name -> seconds per iteration
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        seconds[run.run_name.function_name] = run.real_accumulated_time / static_cast<double>(run.iterations);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace tpl_bench

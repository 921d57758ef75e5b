// Runs Relacy scenarios by name, prints what each explored, and turns any failure into a
// non-zero exit status so ctest (and make mutants) see it.
//
// Usage of a model binary:  model_x [--list] [--long] [scenario ...]
//   no scenario names: run them all;  --list: print the names.
//
// Two tiers (issue 28): by default each scenario runs its CI search, sized so that every model
// of `make test` finishes in minutes on one core of a busy machine; `--long` (or the
// environment variable TPL_MODEL_TIER=long, which `make models-long` sets) runs the full search
// each scenario names first. A scenario given one search runs it in both tiers.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::models {

// How one scenario is searched. `bound` is the context bound for rl::sched_bound (preemptions
// per thread the search may insert), `iterations` the count for rl::sched_random.
struct search {
  rl::scheduler_type_e type;
  unsigned bound = 0;
  rl::iteration_t iterations = 0;

  static search full() { return {rl::sched_full, 0, 0}; }
  static search context_bound(unsigned preemptions) { return {rl::sched_bound, preemptions, 0}; }
  static search random(rl::iteration_t count) { return {rl::sched_random, 0, count}; }

  std::string describe() const {
    switch (type) {
      case rl::sched_full: return "full search";
      case rl::sched_bound: return "context bound " + std::to_string(bound);
      default: return "random, " + std::to_string(iterations) + " iterations";
    }
  }
};

struct scenario {
  std::string name;
  std::string race;  // one line: what the scenario makes race, and the invariant it checks
  std::function<bool(rl::test_params&)> simulate;
  search how;  // the long tier's search (make models-long)
  search ci;   // the CI tier's (make test): the same, or a bounded subset of it
};

template <class Suite>
scenario make_scenario(std::string name, std::string race, search how) {
  return {std::move(name), std::move(race), [](rl::test_params& params) { return rl::simulate<Suite>(params); },
          how, how};
}
// A scenario whose long search is too big for CI: `ci` is what `make test` runs.
template <class Suite>
scenario make_scenario(std::string name, std::string race, search how, search ci) {
  return {std::move(name), std::move(race), [](rl::test_params& params) { return rl::simulate<Suite>(params); },
          how, ci};
}

inline int run_scenarios(const std::vector<scenario>& scenarios, int argc, char** argv) {
  std::vector<std::string> wanted(argv + 1, argv + argc);
  bool long_tier = false;
  if (const char* tier = std::getenv("TPL_MODEL_TIER"); tier != nullptr && std::strcmp(tier, "long") == 0) long_tier = true;
  if (const auto flag = std::find(wanted.begin(), wanted.end(), "--long"); flag != wanted.end()) {
    long_tier = true;
    wanted.erase(flag);
  }
  if (wanted.size() == 1 && wanted[0] == "--list") {
    for (const scenario& each : scenarios) {
      std::printf("%-28s %s [long: %s; ci: %s]\n", each.name.c_str(), each.race.c_str(), each.how.describe().c_str(),
                  each.ci.describe().c_str());
    }
    return 0;
  }
  std::printf("tier: %s\n", long_tier ? "long (full searches)" : "ci (make models-long runs the full searches)");
  int failures = 0;
  int ran = 0;
  for (const scenario& each : scenarios) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), each.name) == wanted.end()) continue;
    ++ran;
    const search& how = long_tier ? each.how : each.ci;
    rl::test_params params;
    params.search_type = how.type;
    if (how.type == rl::sched_bound) params.context_bound = how.bound;
    if (how.type == rl::sched_random) params.iteration_count = how.iterations;
    std::printf("=== %s (%s): %s\n", each.name.c_str(), how.describe().c_str(), each.race.c_str());
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    const bool passed = each.simulate(params);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("--- %s: %s, %llu iterations, %.2f s\n", each.name.c_str(), passed ? "passed" : "FAILED",
                static_cast<unsigned long long>(params.stop_iteration), seconds);
    std::fflush(stdout);
    if (!passed) ++failures;
  }
  if (ran == 0) {
    std::fprintf(stderr, "no scenario matched; --list shows the names\n");
    return 2;
  }
  std::printf("%d of %d scenarios failed\n", failures, ran);
  return failures == 0 ? 0 : 1;
}

}  // namespace tpl::models

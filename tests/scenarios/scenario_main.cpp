// Scenarios that must run in a process of their own: they end the process (std::exit from a
// pool task, returning from main with work pending), change its limits (stack size, address
// space) or used to hang it. tests/test_process_scenarios.cpp starts this program once per
// scenario, with a deadline, and checks how it ended.
//
// Usage: tpl_scenarios <name>     (no name: list them)
#include <cstdio>
#include <cstring>

#include "scenarios.hpp"

int main(int argc, char** argv) {
  const auto& all = tpl_scenarios::registry();
  if (argc < 2) {
    for (const auto& [name, body] : all) std::printf("%s\n", name.c_str());
    return 0;
  }
  const auto found = all.find(argv[1]);
  if (found == all.end()) {
    std::fprintf(stderr, "tpl_scenarios: no scenario named '%s'\n", argv[1]);
    return 2;
  }
  return found->second(argc - 2, argv + 2);
}

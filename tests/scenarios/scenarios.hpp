// The registry of process-level scenarios (see scenario_main.cpp): each registers a body by name
// with TPL_SCENARIO; the body's return value is the process's exit status.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace tpl_scenarios {

using body = std::function<int(int argc, char** argv)>;

inline std::map<std::string, body>& registry() {
  static std::map<std::string, body> all;
  return all;
}

struct registration {
  registration(const char* name, body run) { registry().emplace(name, std::move(run)); }
};

}  // namespace tpl_scenarios

#define TPL_SCENARIO_CONCAT2(a, b) a##b
#define TPL_SCENARIO_CONCAT(a, b) TPL_SCENARIO_CONCAT2(a, b)
#define TPL_SCENARIO(name)                                                                        \
  static int TPL_SCENARIO_CONCAT(scenario_body_, __LINE__)(int argc, char** argv);               \
  static const ::tpl_scenarios::registration TPL_SCENARIO_CONCAT(scenario_registration_, __LINE__)( \
      name, &TPL_SCENARIO_CONCAT(scenario_body_, __LINE__));                                     \
  static int TPL_SCENARIO_CONCAT(scenario_body_, __LINE__)([[maybe_unused]] int argc, [[maybe_unused]] char** argv)

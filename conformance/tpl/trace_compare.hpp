// Compares an observed trace with a vector's expectation (conformance/SCHEMA.md, "Verdicts"),
// the same rules as the .NET oracle and the Python reference runner apply.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <vector>
#include <iostream>
#include <string>

namespace conformance {

// The vector files named on the command line, a directory standing for its *.json in name order.
inline std::vector<std::filesystem::path> vector_files(char** first, char** last) {
  std::vector<std::filesystem::path> files;
  for (; first != last; ++first) {
    const std::filesystem::path path(*first);
    if (!std::filesystem::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::filesystem::path> inside;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.path().extension() == ".json") inside.push_back(entry.path());
    }
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

class tally {
 public:
  // `flag` names the member that holds this runner's own expected trace where it differs from
  // .NET ("divergence" for tpl, "mono" for the oracle).
  void check(const std::string& runner, const nlohmann::json& vector, const nlohmann::json& observed, const std::string& flag) {
    ++vectors_;
    const std::string id = vector.at("id").get<std::string>();
    const nlohmann::json& dotnet = vector.at("expect");
    if (vector.contains(flag)) {
      const nlohmann::json& own = vector.at(flag).at("trace");
      if (observed == dotnet) {
        fail(id, "flagged `" + flag + "` but " + runner + " now matches .NET's trace: remove the flag");
      } else if (const std::string difference = first_difference(own, observed); !difference.empty()) {
        fail(id, "(flagged `" + flag + "`) " + difference);
      } else {
        ++flagged_;
      }
      return;
    }
    const std::string difference = first_difference(dotnet, observed);
    if (difference.empty()) return;
    // Where .NET allows several traces the vector lists the others under "acceptable".
    for (const nlohmann::json& alternative : vector.value("acceptable", nlohmann::json::array())) {
      if (first_difference(alternative, observed).empty()) return;
    }
    fail(id, difference);
  }

  void error(const std::string& id, const std::string& what) {
    ++vectors_;
    fail(id, "could not be replayed: " + what);
  }

  int report(const std::string& runner, const std::string& flag) const {
    std::cout << runner << ": " << vectors_ << " vectors, " << (vectors_ - failed_) << " passed (" << flagged_
              << " of them as flagged `" << flag << "`), " << failed_ << " failed\n";
    return failed_ == 0 ? 0 : 1;
  }

 private:
  static std::string first_difference(const nlohmann::json& expected, const nlohmann::json& observed) {
    const std::size_t longest = std::max(expected.size(), observed.size());
    for (std::size_t index = 0; index < longest; ++index) {
      const bool have_expected = index < expected.size();
      const bool have_observed = index < observed.size();
      if (have_expected && have_observed && expected[index] == observed[index]) continue;
      return "observation #" + std::to_string(index) + ": expected " +
             (have_expected ? expected[index].dump() : std::string("nothing")) + ", observed " +
             (have_observed ? observed[index].dump() : std::string("nothing"));
    }
    return "";
  }

  void fail(const std::string& id, const std::string& message) {
    ++failed_;
    std::cout << "FAIL " << id << ": " << message << "\n";
  }

  std::size_t vectors_ = 0;
  std::size_t failed_ = 0;
  std::size_t flagged_ = 0;
};

}  // namespace conformance

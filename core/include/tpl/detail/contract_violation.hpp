// A misuse that a noexcept function cannot report by throwing (a query on an empty task
// handle): print what was misused, then abort. Never undefined behaviour, never silent.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tpl::detail {

[[noreturn]] inline void contract_violation(const char* message) noexcept {
  std::fprintf(stderr, "tpl: contract violation: %s\n", message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tpl::detail

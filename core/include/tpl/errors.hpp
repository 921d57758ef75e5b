// Exceptions tpl throws for misuse. Every misuse gets one of these with a message that names
// the operation, never undefined behaviour or a hang.
#pragma once

#include <stdexcept>
#include <string>

namespace tpl {

// An operation that is not valid in the object's current state (.NET's
// InvalidOperationException): taking a deque's owner handle twice, completing a completion
// source twice, using an empty task handle.
class invalid_operation : public std::logic_error {
 public:
  explicit invalid_operation(const std::string& what) : std::logic_error(what) {}
  explicit invalid_operation(const char* what) : std::logic_error(what) {}
};

}  // namespace tpl

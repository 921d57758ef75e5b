/// \file
/// What an awaiter of a value_task_source leaves to run when the operation completes (.NET's
/// OnCompleted(`Action<object>`, object state, ...) pair, as a function pointer and its argument).
#pragma once

namespace tpl {

struct value_task_continuation {
  void (*invoke)(void* context) = nullptr;
  void* context = nullptr;
};

}  // namespace tpl

// Must NOT compile with -Werror: the task of a called coroutine is dropped (C# warns: CS4014).
#include "tpl/task.hpp"

tpl::task<int> compute() { co_return 1; }

void caller() {
  compute();  // the warning: task<T> is [[nodiscard]] as a type
}

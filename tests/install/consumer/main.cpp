// Uses the installed headers: one push, one steal, and a task on the installed library's pool.
// Exits non-zero if anything misbehaves. Built twice by the install test: through the CMake
// package and through pkg-config.
#include <tpl/run.hpp>
#include <tpl/task.hpp>
#include <tpl/version.hpp>
#include <tpl/work_stealing_deque.hpp>

static_assert(TPL_VERSION == TPL_VERSION_MAJOR * 10000 + TPL_VERSION_MINOR * 100 + TPL_VERSION_PATCH);
static_assert(tpl::version.major == TPL_VERSION_MAJOR && tpl::version.minor == TPL_VERSION_MINOR);

int main() {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  owner.push(41);
  owner.push(42);
  const auto stolen = deque.stealer().steal();
  const auto popped = owner.pop();
  const int from_pool = tpl::run([] { return 43; }).get();  // links the compiled part (thread_pool.cpp)
  return (stolen.succeeded() && stolen.item() == 41 && popped == 42 && from_pool == 43) ? 0 : 1;
}

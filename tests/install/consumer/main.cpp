// Uses the installed headers: one push, one steal. Exits non-zero if the deque misbehaves.
#include <tpl/work_stealing_deque.hpp>

int main() {
  tpl::work_stealing_deque<int> deque;
  auto owner = deque.owner();
  owner.push(41);
  owner.push(42);
  const auto stolen = deque.stealer().steal();
  const auto popped = owner.pop();
  return (stolen.succeeded() && stolen.item() == 41 && popped == 42) ? 0 : 1;
}

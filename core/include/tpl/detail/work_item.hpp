// The unit a pool runs: an intrusive, type-erased callable with no allocation of its own.
// Fork-join code keeps its work items on the stack of the frame that waits for them (the frame
// cannot return before they ran), so a task costs no heap allocation; submitted callables are
// wrapped in a heap item that deletes itself after running.
#pragma once

namespace tpl::detail {

struct work_item {
  // Runs the item. `via_scheduler` is true when a worker's scheduling loop runs it (stolen,
  // taken from the global queue, or popped while helping), false only when the frame that
  // forked it runs it inline at its join. A forked item signals its joiner only in the first
  // case: in the second the joiner is the caller.
  using run_function = void (*)(work_item* self, bool via_scheduler);
  run_function run;
};

}  // namespace tpl::detail

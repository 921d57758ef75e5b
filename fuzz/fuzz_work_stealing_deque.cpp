// The work-stealing deque against std::deque, one thread interleaving the owner's push/pop with
// steals: the owner's pop takes the newest item, a steal the oldest, nothing is lost or seen
// twice, and growth (the deque starts small) keeps every item. Each input byte is one operation:
//   0-127   push a fresh number     128-191 pop     192-255 steal
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "fuzz_support.hpp"
#include "tpl/work_stealing_deque.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tpl_fuzz::byte_reader input(data, size);
  tpl::work_stealing_deque<std::uintptr_t> deque;
  auto owner = deque.owner();
  auto thief = deque.stealer();
  std::deque<std::uintptr_t> model;
  std::uintptr_t next_value = 1;
  while (!input.empty()) {
    const std::uint8_t operation = input.next();
    if (operation < 128) {
      owner.push(next_value);
      model.push_back(next_value);
      ++next_value;
    } else if (operation < 192) {
      const std::optional<std::uintptr_t> popped = owner.pop();
      tpl_fuzz::expect_equal("pop found an item", popped.has_value(), !model.empty());
      if (popped) {
        tpl_fuzz::expect_equal("pop's item (the newest)", static_cast<long long>(*popped),
                               static_cast<long long>(model.back()));
        model.pop_back();
      }
    } else {
      const tpl::steal_result<std::uintptr_t> stolen = thief.steal();
      // One thread: a steal never loses a race, so it succeeds exactly when the deque has items.
      tpl_fuzz::expect_equal("steal succeeded", stolen.succeeded(), !model.empty());
      if (stolen.succeeded()) {
        tpl_fuzz::expect_equal("steal's item (the oldest)", static_cast<long long>(stolen.item()),
                               static_cast<long long>(model.front()));
        model.pop_front();
      }
    }
  }
  // Drain: every item left comes out once, newest first.
  while (!model.empty()) {
    const std::optional<std::uintptr_t> popped = owner.pop();
    tpl_fuzz::expect_equal("drain found an item", popped.has_value(), true);
    tpl_fuzz::expect_equal("drain's item", static_cast<long long>(*popped), static_cast<long long>(model.back()));
    model.pop_back();
  }
  tpl_fuzz::expect_equal("the drained deque is empty", owner.pop().has_value(), false);
  return 0;
}

// Cancellation against a sequential reference model of .NET's rules: sources (plain, or linked
// to one or two earlier ones), callbacks registered, unregistered, disposed, and sources
// canceled, in any order the input picks. Checked after every operation: which callbacks ran,
// in which order (newest registration first; a linked source's callbacks run where its link
// registration sits in its parent's order), unregister()'s answer, and every source's flag.
// Each operation is one byte and picks its operands from the bytes after it:
//   0 new source   1 new linked source   2 register   3 unregister   4 dispose   5 cancel
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fuzz_support.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace {

constexpr std::size_t max_sources = 5;
constexpr std::size_t max_registrations = 48;

struct model_registration {
  enum state_kind { pending, ran, removed };
  std::size_t source;
  int callback_id;       // what the callback logs; -1 for a link (cancels `linked_child`)
  std::size_t linked_child = 0;
  state_kind state = pending;
  bool disposed = false;  // the handle is gone: unregister() answers false
};

struct model {
  std::vector<bool> canceled;
  std::vector<model_registration> registrations;  // in registration order, all sources
  std::vector<int> log;

  void cancel(std::size_t source) {
    if (canceled[source]) return;
    canceled[source] = true;
    // Newest first. By index, not by reference: a nested cancel reads the same vector.
    for (std::size_t left = registrations.size(); left > 0; --left) {
      model_registration& each = registrations[left - 1];
      if (each.source != source || each.state != model_registration::pending) continue;
      each.state = model_registration::ran;
      if (each.callback_id >= 0) {
        log.push_back(each.callback_id);
      } else {
        cancel(each.linked_child);
      }
    }
  }
};

struct tpl_side {
  std::vector<tpl::cancellation_token_source> sources;
  std::vector<std::optional<tpl::cancellation_registration>> registrations;  // parallel to model's, callbacks only
  std::vector<int> log;
};

void compare(const tpl_side& tpl_state, const model& expected) {
  tpl_fuzz::expect_equal("callbacks run so far", static_cast<long long>(tpl_state.log.size()),
                         static_cast<long long>(expected.log.size()));
  for (std::size_t index = 0; index < expected.log.size(); ++index) {
    tpl_fuzz::expect_equal("the callback run at this position", tpl_state.log[index], expected.log[index]);
  }
  for (std::size_t source = 0; source < expected.canceled.size(); ++source) {
    tpl_fuzz::expect_equal("is_cancellation_requested", tpl_state.sources[source].is_cancellation_requested(),
                           expected.canceled[source]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tpl_fuzz::byte_reader input(data, size);
  model expected;
  tpl_side actual;
  int next_callback = 0;
  auto pick_source = [&] { return input.next() % actual.sources.size(); };

  actual.sources.emplace_back();
  expected.canceled.push_back(false);
  while (!input.empty()) {
    const std::uint8_t operation = input.next() % 6;
    switch (operation) {
      case 0:  // a plain source
        if (actual.sources.size() == max_sources) break;
        actual.sources.emplace_back();
        expected.canceled.push_back(false);
        break;
      case 1: {  // a source linked to one or two existing ones
        if (actual.sources.size() == max_sources || expected.registrations.size() + 2 > max_registrations) break;
        const std::size_t first = pick_source();
        const bool two = (input.next() & 1) != 0;
        const std::size_t second = two ? pick_source() : first;
        const std::size_t child = actual.sources.size();
        actual.sources.push_back(two ? tpl::cancellation_token_source::create_linked(actual.sources[first].token(),
                                                                                     actual.sources[second].token())
                                     : tpl::cancellation_token_source::create_linked(actual.sources[first].token()));
        expected.canceled.push_back(false);
        // Linking registers on each parent in turn; a parent already canceled cancels the child
        // at once (and the remaining parents are then irrelevant but still registered on).
        for (const std::size_t parent : two ? std::vector<std::size_t>{first, second} : std::vector<std::size_t>{first}) {
          if (expected.canceled[child]) break;
          if (expected.canceled[parent]) {
            expected.cancel(child);
          } else {
            expected.registrations.push_back({parent, -1, child});
            actual.registrations.emplace_back();  // links are the source's own: no handle here
          }
        }
        break;
      }
      case 2: {  // register a callback
        if (expected.registrations.size() == max_registrations) break;
        const std::size_t source = pick_source();
        const int id = next_callback++;
        std::vector<int>* log = &actual.log;
        actual.registrations.emplace_back(actual.sources[source].token().register_callback([log, id] { log->push_back(id); }));
        expected.registrations.push_back({source, id});
        if (expected.canceled[source]) {  // runs at once, on this thread
          expected.registrations.back().state = model_registration::ran;
          expected.log.push_back(id);
        }
        break;
      }
      case 3:    // unregister
      case 4: {  // dispose (destroy the registration handle)
        if (expected.registrations.empty()) break;
        const std::size_t index = input.next() % expected.registrations.size();
        model_registration& registration = expected.registrations[index];
        if (registration.callback_id < 0) break;  // a link: owned by its source
        const bool was_pending = registration.state == model_registration::pending && !registration.disposed;
        if (was_pending) registration.state = model_registration::removed;
        std::optional<tpl::cancellation_registration>& handle = actual.registrations[index];
        if (operation == 3) {
          const bool removed = handle->unregister();
          tpl_fuzz::expect_equal("unregister() removed the callback", removed, was_pending);
        } else {
          handle.reset();
          handle.emplace();  // an empty registration: unregister() now answers false
          registration.disposed = true;
        }
        break;
      }
      case 5: {  // cancel
        const std::size_t source = pick_source();
        actual.sources[source].cancel();
        expected.cancel(source);
        break;
      }
    }
    compare(actual, expected);
  }
  return 0;
}

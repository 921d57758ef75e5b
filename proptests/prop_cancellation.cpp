// RapidCheck state-machine property of tpl's cancellation against a sequential model of .NET's
// rules. A random program of commands over several sources:
//   register(s)         register a callback that logs its id
//   unregister(r)       must return true iff the model says the callback is still pending
//   cancel(s)           runs the pending callbacks of s newest first; a link registration in
//                       that order cancels its linked source right there (recursively)
//   expire(s)           cancel_after(0) on s, waiting for the pool thread to have run it
//   link(a, b)          a new source linked to a and b (canceled at once if either is)
// After every command: each source's is_cancellation_requested() and the log of callbacks run
// (ids, in order) equal the model's; and registering on a canceled source runs at once.
// Prints "Using configuration: seed=N"; reproduce with RC_PARAMS="seed=N".
#include <rapidcheck.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace {

enum class command_kind { register_callback, unregister, cancel, expire, link };

struct command {
  command_kind kind;
  unsigned first;   // a source or a registration, taken modulo the current count
  unsigned second;  // link's second parent
};

void showValue(const command& each, std::ostream& out) {
  static const char* const names[] = {"register", "unregister", "cancel", "expire", "link"};
  out << names[static_cast<int>(each.kind)] << "(" << each.first << ", " << each.second << ")";
}

// The model: a registration on a source is pending, removed or ran; a link is a registration
// whose "callback" cancels a child source.
struct model_registration {
  std::size_t source;
  int id;                              // logged id; -1 for a link
  std::optional<std::size_t> child;    // for a link: the source it cancels
  bool pending = true;
};

struct model {
  std::vector<bool> canceled;
  std::vector<model_registration> registrations;  // in registration order
  std::vector<int> log;

  void cancel(std::size_t source) {
    if (canceled[source]) return;
    canceled[source] = true;
    for (std::size_t index = registrations.size(); index > 0; --index) {  // newest first
      model_registration& each = registrations[index - 1];
      if (each.source != source || !each.pending) continue;
      each.pending = false;
      if (each.child) {
        cancel(*each.child);
      } else {
        log.push_back(each.id);
      }
    }
  }
};

struct real_system {
  std::vector<std::unique_ptr<tpl::cancellation_token_source>> sources;
  std::vector<std::unique_ptr<tpl::cancellation_registration>> registrations;  // user ones only
  std::mutex log_mutex;  // expire() runs callbacks on a pool thread
  std::vector<int> log;

  std::condition_variable log_grew;

  void append(int id) {
    std::lock_guard lock(log_mutex);
    log.push_back(id);
    log_grew.notify_all();
  }
  void wait_for_log_size(std::size_t size) {
    std::unique_lock lock(log_mutex);
    log_grew.wait(lock, [&] { return log.size() >= size; });
  }
  std::vector<int> log_copy() {
    std::lock_guard lock(log_mutex);
    return log;
  }
};

rc::Gen<command> gen_command() {
  return rc::gen::build<command>(
      rc::gen::set(&command::kind,
                   rc::gen::weightedElement<command_kind>({{4, command_kind::register_callback},
                                                           {2, command_kind::unregister},
                                                           {1, command_kind::cancel},
                                                           {1, command_kind::expire},
                                                           {1, command_kind::link}})),
      rc::gen::set(&command::first, rc::gen::inRange(0u, 64u)),
      rc::gen::set(&command::second, rc::gen::inRange(0u, 64u)));
}

}  // namespace

int main() {
  const bool passed = rc::check("cancellation follows .NET's rules for any program of commands", [] {
    const auto program = *rc::gen::container<std::vector<command>>(gen_command());
    model expected;
    real_system real;
    expected.canceled.push_back(false);
    real.sources.push_back(std::make_unique<tpl::cancellation_token_source>());
    std::vector<std::size_t> user_registration_index;  // real.registrations[k] -> expected.registrations[...]
    int next_id = 0;

    for (const command& each : program) {
      const std::size_t source_count = real.sources.size();
      switch (each.kind) {
        case command_kind::register_callback: {
          const std::size_t source = each.first % source_count;
          const int id = next_id++;
          expected.registrations.push_back({source, id, std::nullopt, true});
          user_registration_index.push_back(expected.registrations.size() - 1);
          if (expected.canceled[source]) {  // runs at once, at registration
            expected.registrations.back().pending = false;
            expected.log.push_back(id);
          }
          real.registrations.push_back(std::make_unique<tpl::cancellation_registration>(
              real.sources[source]->token().register_callback([&real, id] { real.append(id); })));
          break;
        }
        case command_kind::unregister: {
          if (real.registrations.empty()) break;
          const std::size_t which = each.first % real.registrations.size();
          model_registration& modelled = expected.registrations[user_registration_index[which]];
          const bool expected_removed = modelled.pending;
          modelled.pending = false;
          RC_ASSERT(real.registrations[which]->unregister() == expected_removed);
          break;
        }
        case command_kind::cancel: {
          const std::size_t source = each.first % source_count;
          expected.cancel(source);
          real.sources[source]->cancel();
          break;
        }
        case command_kind::expire: {
          const std::size_t source = each.first % source_count;
          expected.cancel(source);
          real.sources[source]->cancel_after(std::chrono::milliseconds(0));
          // Wait on events only: on every source the model now says is canceled (this one and
          // those linked below it) a sentinel callback fires once cancellation was requested
          // (at once if it already was); the log's condition variable then says every callback
          // the model expects has run on the pool thread.
          for (std::size_t each_source = 0; each_source < real.sources.size(); ++each_source) {
            if (!expected.canceled[each_source]) continue;
            std::promise<void> requested;
            auto sentinel =
                real.sources[each_source]->token().register_callback([&requested] { requested.set_value(); });
            requested.get_future().wait();
          }
          real.wait_for_log_size(expected.log.size());
          break;
        }
        case command_kind::link: {
          const std::size_t first = each.first % source_count;
          const std::size_t second = each.second % source_count;
          const std::size_t child = real.sources.size();
          expected.canceled.push_back(expected.canceled[first] || expected.canceled[second]);
          for (std::size_t parent : {first, second}) {
            if (!expected.canceled[parent]) expected.registrations.push_back({parent, -1, child, true});
          }
          real.sources.push_back(std::make_unique<tpl::cancellation_token_source>(
              tpl::cancellation_token_source::create_linked(real.sources[first]->token(), real.sources[second]->token())));
          break;
        }
      }
      for (std::size_t source = 0; source < real.sources.size(); ++source) {
        RC_ASSERT(real.sources[source]->is_cancellation_requested() == expected.canceled[source]);
      }
      RC_ASSERT(real.log_copy() == expected.log);
    }
  });
  return passed ? 0 : 1;
}

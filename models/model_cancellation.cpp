// Relacy model of tpl's cancellation: the real cancellation_state, token, registration and
// source (cancel_after compiles here but arms no timer: its expiry is a plain cancel() from
// another thread, which these scenarios cover; model_timer runs the timer queue).
//
// Every callback writes a race-checked cell that its registrant wrote before registering, so a
// callback that runs without being ordered after its registration, or after its registration
// was destroyed, is a data race; counts in cells check "exactly once"; Relacy's heap checks that
// every state and node is freed, once.
//
// Scenarios:
//   cancel_vs_register        cancel() races a registration: the callback runs exactly once,
//                             by cancel() or inline at registration           full search
//   cancel_vs_unregister      cancel() races unregister(): it returns true iff the callback
//                             never runs                                      full search
//   cancel_vs_dispose         cancel() races the registration's destruction: once destruction
//                             returned, the callback has finished or never starts   full search
//   two_cancellers            two threads cancel; each of two callbacks runs once, all by the
//                             winner, newest first                            full search
//   recycle_vs_cancel         a registrant unregisters and registers again (recycling the node)
//                             while another thread cancels                    context bound 4
//                             (full search: 26.9M executions, 103 s, passes)
//   two_recyclers_vs_cancel   two registrants race to recycle one free node while a third
//                             thread cancels: both callbacks run once      context bound 2
//   unregister_vs_recycle     one thread unregisters while another registers (and may recycle
//                             the freed node)                                 context bound 3
//                             (full search: 184.7M executions, 444 s, passes)
//   last_reference_vs_unregister  a registration (unregistered just before) and a token, the
//                             state's last references, dropped on two threads   full search
//   poll_sees_prior_writes    a thread polling the token sees what the canceller wrote before
//                             cancel()                                        full search
//   free_stack_wraparound     three free nodes; one registrant stalls inside its pop while a
//                             second takes all three and frees the first again (four stack
//                             operations: a whole turn of a 2-bit tag); a last registration and
//                             cancel(): every callback not unregistered runs once
//                             context bound 1
//   successive_poppers        one registrant pops, frees and pops again while another pops:
//                             the popper lock orders each pop after the last      full search
//   linked_source             a parent is canceled while a registrant registers on a source
//                             linked to it                                    context bound 3
#include <optional>
#include <vector>

#include "support/model_runner.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace {

using tpl::cancellation_registration;
using tpl::cancellation_token_source;

// A callback body: checks it sees its registrant's setup, counts its runs.
struct probe {
  tpl::sync::cell<int> setup{0};  // written by the registrant before registering
  tpl::sync::cell<int> runs{0};
  void operator()() {
    RL_ASSERT(setup.load() == 1);
    runs.store(runs.load() + 1);
  }
};

// The registrant's side: prepare the probe, then register it on `token`.
cancellation_registration register_probe(const tpl::cancellation_token& token, probe& target) {
  target.setup.store(1);
  probe* pointer = &target;
  return token.register_callback([pointer] { (*pointer)(); });
}

struct cancel_vs_register : rl::test_suite<cancel_vs_register, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> callback;
  std::optional<cancellation_registration> registration;

  void before() {
    source.emplace();
    callback.emplace();
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->cancel();
    } else {
      registration.emplace(register_probe(source->token(), *callback));
    }
  }
  void after() {
    RL_ASSERT(callback->runs.load() == 1);
    registration.reset();
    source.reset();
    callback.reset();
  }
};

struct cancel_vs_unregister : rl::test_suite<cancel_vs_unregister, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> callback;
  std::optional<cancellation_registration> registration;
  bool removed = false;

  void before() {
    source.emplace();
    callback.emplace();
    registration.emplace(register_probe(source->token(), *callback));
    removed = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->cancel();
    } else {
      removed = registration->unregister();
    }
  }
  void after() {
    RL_ASSERT(callback->runs.load() == (removed ? 0 : 1));
    registration.reset();
    source.reset();
    callback.reset();
  }
};

struct cancel_vs_dispose : rl::test_suite<cancel_vs_dispose, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<tpl::sync::cell<int>> effect;
  std::optional<cancellation_registration> registration;

  void before() {
    source.emplace();
    effect.emplace(0);
    tpl::sync::cell<int>* target = &*effect;
    registration.emplace(source->token().register_callback([target] { target->store(target->load() + 1); }));
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->cancel();
    } else {
      registration.reset();  // waits if the callback is running
      // The callback has finished or will never start: this write races with neither.
      effect->store(effect->load() + 10);
    }
  }
  void after() {
    const int value = effect->load();
    RL_ASSERT(value == 10 || value == 11);
    source.reset();
    effect.reset();
  }
};

struct two_cancellers : rl::test_suite<two_cancellers, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<tpl::sync::cell<int>> order;  // newest first: 2 then 1 -> 21
  std::vector<cancellation_registration> registrations;

  void before() {
    source.emplace();
    order.emplace(0);
    tpl::sync::cell<int>* target = &*order;
    registrations.push_back(source->token().register_callback([target] { target->store(target->load() * 10 + 1); }));
    registrations.push_back(source->token().register_callback([target] { target->store(target->load() * 10 + 2); }));
  }
  void thread(unsigned) { source->cancel(); }
  void after() {
    RL_ASSERT(order->load() == 21);
    registrations.clear();
    source.reset();
    order.reset();
  }
};

struct recycle_vs_cancel : rl::test_suite<recycle_vs_cancel, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> first;
  std::optional<probe> second;
  std::optional<cancellation_registration> kept;
  bool first_removed = false;

  void before() {
    source.emplace();
    first.emplace();
    second.emplace();
    first_removed = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->cancel();
      return;
    }
    cancellation_registration temporary = register_probe(source->token(), *first);
    first_removed = temporary.unregister();
    kept.emplace(register_probe(source->token(), *second));  // may recycle the node
  }
  void after() {
    RL_ASSERT(first->runs.load() == (first_removed ? 0 : 1));
    RL_ASSERT(second->runs.load() == 1);
    kept.reset();
    source.reset();
    first.reset();
    second.reset();
  }
};

// Two registrants race to recycle the one free node while a third thread cancels.
struct two_recyclers_vs_cancel : rl::test_suite<two_recyclers_vs_cancel, 3> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> callbacks[2];
  std::optional<cancellation_registration> registrations[2];

  void before() {
    source.emplace();
    source->token().register_callback([] {}).unregister();  // leaves one free node
    callbacks[0].emplace();
    callbacks[1].emplace();
  }
  void thread(unsigned index) {
    if (index == 2) {
      source->cancel();
      return;
    }
    registrations[index].emplace(register_probe(source->token(), *callbacks[index]));
  }
  void after() {
    RL_ASSERT(callbacks[0]->runs.load() == 1);
    RL_ASSERT(callbacks[1]->runs.load() == 1);
    registrations[0].reset();
    registrations[1].reset();
    source.reset();
    callbacks[0].reset();
    callbacks[1].reset();
  }
};

// One thread unregisters (freeing the node) while another registers (and may recycle it): the
// storage passes from one to the other only through the free stack's release/acquire.
struct unregister_vs_recycle : rl::test_suite<unregister_vs_recycle, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> first;
  std::optional<probe> second;
  std::optional<cancellation_registration> first_registration;
  std::optional<cancellation_registration> second_registration;

  void before() {
    source.emplace();
    first.emplace();
    second.emplace();
    first_registration.emplace(register_probe(source->token(), *first));
  }
  void thread(unsigned index) {
    if (index == 0) {
      RL_ASSERT(first_registration->unregister());
      first_registration.reset();
    } else {
      second_registration.emplace(register_probe(source->token(), *second));
    }
  }
  void after() {
    source->cancel();
    RL_ASSERT(first->runs.load() == 0);
    RL_ASSERT(second->runs.load() == 1);
    second_registration.reset();
    source.reset();
    first.reset();
    second.reset();
  }
};

// The state's last two references, a registration and a token, are dropped on two threads
// right after the registration's owner unregistered it: whoever drops last destroys the state
// (and its nodes), which must come after the other's use.
struct last_reference_vs_unregister : rl::test_suite<last_reference_vs_unregister, 2> {
  std::optional<cancellation_registration> registration;
  std::optional<tpl::cancellation_token> token;

  void before() {
    cancellation_token_source source;
    token.emplace(source.token());
    registration.emplace(source.token().register_callback([] {}));
  }  // the source is gone: the token and the registration hold the state
  void thread(unsigned index) {
    if (index == 0) {
      RL_ASSERT(registration->unregister());
      registration.reset();
    } else {
      RL_ASSERT(!token->is_cancellation_requested());
      token.reset();
    }
  }
  void after() {}
};

// Code that polls the token and sees the request sees what the canceller did before cancel().
struct poll_sees_prior_writes : rl::test_suite<poll_sees_prior_writes, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<tpl::sync::cell<int>> prepared;

  void before() {
    source.emplace();
    prepared.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      prepared->store(1);
      source->cancel();
    } else if (source->token().is_cancellation_requested()) {
      RL_ASSERT(prepared->load() == 1);
    }
  }
  void after() {
    source.reset();
    prepared.reset();
  }
};

// The ABA case of a Treiber stack, with the free stack's head at X -> Y -> Z: a pop reads X and
// its successor Y and stalls; meanwhile X, Y and Z are popped and X pushed back. A pop that
// then installs Y hands a node a live registration owns to the next registrant, whose callback
// replaces the live one (which then never runs, and unregister() says it ran).
struct free_stack_wraparound : rl::test_suite<free_stack_wraparound, 2> {
  static constexpr int churned = 4;
  std::optional<cancellation_token_source> source;
  std::optional<probe> stalled_callback;
  std::optional<probe> callbacks[churned];
  std::optional<cancellation_registration> stalled;
  std::optional<cancellation_registration> registrations[churned];
  bool first_removed = false;

  void before() {
    source.emplace();
    stalled_callback.emplace();
    for (auto& each : callbacks) each.emplace();
    first_removed = false;
    // Three free nodes, X on top: registered in order X, Y, Z... and freed in reverse.
    cancellation_registration z = source->token().register_callback([] {});
    cancellation_registration y = source->token().register_callback([] {});
    cancellation_registration x = source->token().register_callback([] {});
    RL_ASSERT(x.unregister() && y.unregister() && z.unregister());
  }
  void thread(unsigned index) {
    if (index == 0) {
      stalled.emplace(register_probe(source->token(), *stalled_callback));
    } else if (index == 1) {
      for (int each = 0; each < 3; ++each) registrations[each].emplace(register_probe(source->token(), *callbacks[each]));
      first_removed = registrations[0]->unregister();
    }
  }
  void after() {
    // Pops what the stalled pop left on top: after ABA, the node registrations[1] owns.
    registrations[3].emplace(register_probe(source->token(), *callbacks[3]));
    source->cancel();
    RL_ASSERT(stalled_callback->runs.load() == 1);
    RL_ASSERT(callbacks[0]->runs.load() == (first_removed ? 0 : 1));
    for (int each = 1; each < churned; ++each) RL_ASSERT(callbacks[each]->runs.load() == 1);
    stalled.reset();
    for (auto& each : registrations) each.reset();
    source.reset();
    stalled_callback.reset();
    for (auto& each : callbacks) each.reset();
  }
};

// Pops on two threads one after the other: one registrant pops the free node, frees it again
// (a push writes the node's free_next) and registers again, while another registrant pops. A
// popper that took the popper lock must see the previous pop's CAS (the lock's acquire and
// release), or it may read a head popped and pushed back since, and the free_next it reads is
// a race with the re-push.
struct successive_poppers : rl::test_suite<successive_poppers, 2> {
  std::optional<cancellation_token_source> source;
  std::optional<probe> callbacks[3];
  std::optional<cancellation_registration> registrations[3];
  bool first_removed = false;

  void before() {
    source.emplace();
    source->token().register_callback([] {}).unregister();  // leaves one free node
    for (auto& each : callbacks) each.emplace();
    first_removed = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      registrations[0].emplace(register_probe(source->token(), *callbacks[0]));
      first_removed = registrations[0]->unregister();
      registrations[1].emplace(register_probe(source->token(), *callbacks[1]));
    } else {
      registrations[2].emplace(register_probe(source->token(), *callbacks[2]));
    }
  }
  void after() {
    source->cancel();
    RL_ASSERT(first_removed);
    RL_ASSERT(callbacks[0]->runs.load() == 0);
    RL_ASSERT(callbacks[1]->runs.load() == 1);
    RL_ASSERT(callbacks[2]->runs.load() == 1);
    for (auto& each : registrations) each.reset();
    source.reset();
    for (auto& each : callbacks) each.reset();
  }
};

struct linked_source : rl::test_suite<linked_source, 2> {
  std::optional<cancellation_token_source> parent;
  std::optional<cancellation_token_source> child;
  std::optional<probe> callback;
  std::optional<cancellation_registration> registration;

  void before() {
    parent.emplace();
    child.emplace(cancellation_token_source::create_linked(parent->token()));
    callback.emplace();
  }
  void thread(unsigned index) {
    if (index == 0) {
      parent->cancel();
    } else {
      registration.emplace(register_probe(child->token(), *callback));
    }
  }
  void after() {
    RL_ASSERT(child->is_cancellation_requested());
    RL_ASSERT(callback->runs.load() == 1);
    registration.reset();
    child.reset();
    parent.reset();
    callback.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<cancel_vs_register>("cancel_vs_register", "cancel() races a registration", search::full(),
                                            search::random(300000)),
          make_scenario<cancel_vs_unregister>("cancel_vs_unregister", "cancel() races unregister()", search::full()),
          make_scenario<cancel_vs_dispose>("cancel_vs_dispose", "cancel() races the registration's destruction",
                                           search::full()),
          make_scenario<two_cancellers>("two_cancellers", "two threads cancel one source", search::full(),
                                        search::random(300000)),
          make_scenario<recycle_vs_cancel>("recycle_vs_cancel",
                                           "unregister and register again (recycling the node) while cancel() runs",
                                           search::context_bound(4), search::random(300000)),
          make_scenario<two_recyclers_vs_cancel>("two_recyclers_vs_cancel",
                                                 "two registrants race for one free node while a third thread cancels",
                                                 search::context_bound(2), search::random(200000)),
          make_scenario<unregister_vs_recycle>("unregister_vs_recycle",
                                               "one thread unregisters while another registers and may recycle the node",
                                               search::context_bound(3)),
          make_scenario<last_reference_vs_unregister>("last_reference_vs_unregister",
                                                      "the last two references are dropped on two threads",
                                                      search::full()),
          make_scenario<poll_sees_prior_writes>("poll_sees_prior_writes",
                                                "a poller that sees the request sees the canceller's earlier writes",
                                                search::full()),
          make_scenario<free_stack_wraparound>(
              "free_stack_wraparound", "a pop stalls while the free stack turns its tag over (ABA)",
              search::context_bound(1)),
          make_scenario<successive_poppers>("successive_poppers",
                                            "two registrants pop the free stack in turn, one freeing a node between",
                                            search::random(300000)),
          make_scenario<linked_source>("linked_source", "a parent is canceled while a linked source gets a registration",
                                       search::context_bound(3), search::random(300000)),
      },
      argc, argv);
}

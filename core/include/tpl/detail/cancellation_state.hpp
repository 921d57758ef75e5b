// The lock-free heart of cancellation: the state shared by a cancellation_token_source, its
// tokens and its registrations. One flag word (cancel requested), a list of registration
// nodes, a generation counter, a reference count.
//
// Registration nodes never leave the list while the state lives: a node whose registration was
// removed becomes `free`, goes on a free stack, and a later registration pops it and recycles
// it in place. So a traversal never meets freed memory (no hazard pointers, no epochs), and
// the list is about as long as the most registrations ever live at once. The free stack takes
// pushes from any thread but pops from one at a time (a try-lock; a registrant that finds
// another popping allocates a node instead), which rules out ABA without a tag (a pop that read
// node A with successor B, while others popped A and B and pushed A back, would otherwise
// install B; a tag in the pointer's spare bits wraps, and breaks with top-byte tagging and
// 57-bit address spaces: models/model_cancellation.cpp, free_stack_wraparound). Each node has one
// atomic word: (generation << 3) | status, where the generation is unique per registration,
// taken from the state's counter, so a stale handle cannot touch a recycled node, and
// generations order registrations (cancel runs the newest first, as .NET does).
//
// Node status, and who moves it:
//   free -> claimed        a registrant that popped the node off the free stack (a store: the
//                          pop made it the node's only owner)
//   claimed -> armed       that registrant, once the callback is stored
//   (new node)             a registrant pushes a node born armed (CAS on the list head)
//   armed -> running       cancel() (CAS), or the registrant itself if it sees cancellation
//                          right after arming (CAS): exactly one of them runs the callback
//   running -> done        whoever ran it, after destroying the callback; done is final
//   armed -> removing      unregister (CAS): the callback will never run
//   removing -> free       unregister, after destroying the callback; then it pushes the node
//                          on the free stack
//
// The race between registration and cancel() is a store-load (Dekker) pattern: the registrant
// arms (or pushes) and then reads the flag; cancel() sets the flag and then reads the list.
// All four are seq_cst, so at least one side sees the other: cancel() finds the armed node, or
// the registrant finds the flag (or both, and the CAS to running decides). Checked by
// models/model_cancellation.cpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <utility>
#include <vector>

#include "tpl/config.hpp"
#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class registration_node {
 public:
  static constexpr std::uint64_t status_bits = 3;
  static constexpr std::uint64_t status_mask = (1u << status_bits) - 1;
  enum status : std::uint64_t { free = 0, claimed = 1, armed = 2, running = 3, done = 4, removing = 5 };

  static constexpr std::uint64_t pack(std::uint64_t generation, status what) noexcept {
    return (generation << status_bits) | what;
  }
  static constexpr std::uint64_t generation_of(std::uint64_t word) noexcept { return word >> status_bits; }
  static constexpr status status_of(std::uint64_t word) noexcept { return static_cast<status>(word & status_mask); }

  explicit registration_node(std::uint64_t initial_word) : word(initial_word) {}

  sync::atomic<std::uint64_t> word;
  // The thread running the callback (0: none yet), so that unregistering from inside the
  // callback does not wait for itself. Only ever compared with the caller's own token.
  sync::atomic<std::uintptr_t> runner{0};
  // Set before the node is pushed, never changed: the list only grows at its head.
  sync::cell<registration_node*> next{nullptr};
  // The next node on the free stack while this one is on it: written by the node's pusher
  // before its release CAS, read by the one popper (pop_free) while the node is on top.
  sync::cell<registration_node*> free_next{nullptr};
  // Which registration's callback `callback` holds (0: none). Written whenever the callback is
  // stored or released, so the model checker sees each hand-over of the storage.
  sync::cell<std::uint64_t> owner{0};
  std::function<void()> callback;
};

// What a registration holds: its node and its generation. node == nullptr: the callback
// already ran at registration (the token was canceled) or there was nothing to register.
struct registration_ticket {
  registration_node* node = nullptr;
  std::uint64_t generation = 0;
};

class cancellation_state {
 public:
  static constexpr std::uint32_t cancel_requested = 1;

  explicit cancellation_state(std::uint32_t references = 1)
      : references_(references), recorded_(diagnostics_hooks::cancellation_source_created(*this)) {}
  cancellation_state(const cancellation_state&) = delete;
  cancellation_state& operator=(const cancellation_state&) = delete;
  ~cancellation_state() {
    if (recorded_) diagnostics_hooks::cancellation_source_destroyed(*this);  // first: a snapshot may read the list
    registration_node* node = head_.load(std::memory_order_relaxed);  // relaxed: the last owner, after the acq_rel release
    while (node != nullptr) {
      registration_node* next = node->next.load();
      node->owner.store(0);  // the destruction, as an access the model checker sees
      delete node;
      node = next;
    }
  }

  // Registrations whose callback has not run or been removed yet (for diagnostics snapshots:
  // a count that may be a moment old).
  [[nodiscard]] std::size_t live_registrations() const {
    std::size_t count = 0;
    // acquire: pairs with the release half of the CAS that pushes a node in register_callback():
    // each node's `next` (set before its push) is visible.
    for (registration_node* node = head_.load(std::memory_order_acquire); node != nullptr; node = node->next.load()) {
      // relaxed: a statistic; nothing is read through the word.
      const auto status = registration_node::status_of(node->word.load(std::memory_order_relaxed));
      if (status == registration_node::armed || status == registration_node::running) ++count;
    }
    return count;
  }

  [[nodiscard]] bool is_cancellation_requested() const noexcept {
    // acquire: pairs with cancel()'s fetch_or: whatever the canceller did before cancelling is
    // visible to code that sees the request (as .NET's volatile read).
    return (flags_.load(std::memory_order_acquire) & cancel_requested) != 0;
  }

  // Registers `callback`. If cancellation was already requested it runs here, now, and its
  // exception (if any) propagates to the caller; the ticket is then empty.
  registration_ticket register_callback(std::function<void()> callback) {
    if (is_cancellation_requested()) {
      callback();
      return {};
    }
    // relaxed: only uniqueness and increase matter (the generation orders registrations).
    const std::uint64_t generation = next_generation_.fetch_add(1, std::memory_order_relaxed);
    registration_node* node = claim_free_node(generation);
    if (node != nullptr) {
      node->callback = std::move(callback);
      node->owner.store(generation);
      // seq_cst: the registrant's half of the Dekker pattern with cancel() (header comment):
      // arming must precede, in the single total order, the flag load below. It also
      // publishes the callback (release) to cancel()'s seq_cst load of the word.
      node->word.store(registration_node::pack(generation, registration_node::armed), std::memory_order_seq_cst);
    } else {
      node = new registration_node(registration_node::pack(generation, registration_node::armed));
      node->callback = std::move(callback);
      node->owner.store(generation);
      push(node);
    }
    // seq_cst: the registrant's read in the Dekker pattern; pairs with cancel()'s fetch_or.
    if ((flags_.load(std::memory_order_seq_cst) & cancel_requested) != 0) {
      // cancel() may have read the list before this node was armed: race it for the callback.
      if (try_start(node, generation)) {
        std::exception_ptr error = run_started(node, generation);
        if (error) std::rethrow_exception(error);
        return {};
      }
    }
    return {node, generation};
  }

  // Removes the registration if its callback has not started. true: removed, it will never
  // run; false: it ran, is running, or the ticket is stale or empty. Never waits.
  bool unregister(registration_ticket ticket) {  // by value: destroying the callback may free the caller's copy
    if (ticket.node == nullptr) return false;
    std::uint64_t expected = registration_node::pack(ticket.generation, registration_node::armed);
    const std::uint64_t removing = registration_node::pack(ticket.generation, registration_node::removing);
    // acquire: pairs with the arming store (the callback this thread destroys was fully
    // built, even if another thread registered it). relaxed on failure: nothing is read.
    if (!ticket.node->word.compare_exchange_strong(expected, removing, std::memory_order_acquire, std::memory_order_relaxed)) {
      return false;
    }
    // Moved out and destroyed last: its destructor may run arbitrary code (free the object
    // that owns the registration), which must not find the node half released.
    std::function<void()> removed = std::move(ticket.node->callback);
    ticket.node->callback = nullptr;
    ticket.node->owner.store(0);
    // relaxed: no other thread reads a free node's word for ordering (cancel() only skips it);
    // the node and the callback storage pass to the next owner through push_free()'s release
    // and pop_free()'s acquire.
    ticket.node->word.store(registration_node::pack(ticket.generation, registration_node::free), std::memory_order_relaxed);
    push_free(ticket.node);
    return true;
  }

  // Returns once the ticket's callback is not running on another thread (it may be running on
  // this one: a callback disposing its own registration must not wait for itself).
  void wait_for_callback(const registration_ticket& ticket) const {
    if (ticket.node == nullptr) return;
    const std::uintptr_t me = sync::current_thread_token();
    for (;;) {
      // acquire: pairs with the release store of `done` in run_started(): the callback's
      // effects are visible once the wait ends.
      const std::uint64_t word = ticket.node->word.load(std::memory_order_acquire);
      if (word != registration_node::pack(ticket.generation, registration_node::running)) return;
      // relaxed: only this thread's own store can make it equal (it is the runner).
      if (ticket.node->runner.load(std::memory_order_relaxed) == me) return;
      sync::yield_thread();
    }
  }

  // What cancel() does when it cannot allocate its working room.
  enum class without_memory {
    throw_to_caller,  // throw std::bad_alloc and leave the source uncanceled (a retry can work)
    cancel_anyway,    // cancel: for cancels no caller waits on (cancel_after's timer, a link
                      // from a parent source), where a throw would lose the cancellation
  };

  // Requests cancellation and runs every registered callback on this thread, newest
  // registration first, each exactly once. Returns the exceptions they threw, in the order
  // they ran. A second call (or a concurrent one that lost) returns at once with none.
  std::vector<std::exception_ptr> cancel(without_memory if_no_memory = without_memory::throw_to_caller) {
    // Everything this needs is allocated before the flag is set: once it is set a retry does
    // nothing, so a bad_alloc after it would strand every callback (issue 10). A failure here
    // throws to the caller and leaves the source uncanceled; or, with cancel_anyway, cancels
    // with no room: every callback then runs through run_the_rest() (list order, and an
    // exception is kept only if the vector can still grow).
    const std::size_t room = listed_nodes() + unlisted_room;
    std::vector<candidate> candidates;
    std::vector<std::exception_ptr> errors;
    try {
      candidates.reserve(room);
      errors.reserve(room);
    } catch (const std::bad_alloc&) {
      if (if_no_memory == without_memory::throw_to_caller) throw;
    }
    // seq_cst: the canceller's write in the Dekker pattern with register_callback(); pairs
    // with its seq_cst flag load. (acquire/release come with it.)
    if ((flags_.fetch_or(cancel_requested, std::memory_order_seq_cst) & cancel_requested) != 0) return {};
    bool out_of_room = false;
    // seq_cst: the canceller's read of the list in the Dekker pattern (after the fetch_or
    // in the total order); also acquires the pushed nodes' fields.
    for (registration_node* node = head_.load(std::memory_order_seq_cst); node != nullptr; node = node->next.load()) {
      // seq_cst: the canceller's read of each node's arming in the Dekker pattern.
      const std::uint64_t word = node->word.load(std::memory_order_seq_cst);
      if (registration_node::status_of(word) != registration_node::armed) continue;
      if (candidates.size() == candidates.capacity()) {
        out_of_room = true;  // more nodes were pushed since they were counted (or there was no
                             // memory for any): run them below
        continue;
      }
      candidates.push_back({node, registration_node::generation_of(word)});
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const candidate& left, const candidate& right) { return left.generation > right.generation; });
    for (const candidate& each : candidates) {
      if (!try_start(each.node, each.generation)) continue;  // unregistered meanwhile
      if (std::exception_ptr error = run_started(each.node, each.generation)) errors.push_back(std::move(error));
    }
    if (out_of_room) run_the_rest(errors);
    return errors;
  }

  void add_reference() {
    // relaxed: a new reference is made from an existing one, which keeps the state alive.
    references_.fetch_add(1, std::memory_order_relaxed);
  }
  // true: that was the last reference; the caller deletes the state.
  [[nodiscard]] bool release_reference() {
    // acq_rel: release publishes this owner's uses; acquire (for the last owner) orders every
    // other owner's uses before the destruction (which frees the nodes and their callbacks).
    return references_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

 private:
  struct candidate {
    registration_node* node;
    std::uint64_t generation;
  };
  // Room cancel() reserves beyond the nodes it counted, for nodes pushed by registrations that
  // race it (each of those registrants also sees the flag and races for its own callback).
  static constexpr std::size_t unlisted_room = 8;

  // About how many nodes the list holds (a bound for cancel()'s reservations, not exact: it
  // may grow meanwhile, and a relaxed read may lag; cancel() copes with more).
  std::size_t listed_nodes() const {
    // relaxed: a size hint; no data is read through it.
    return listed_.load(std::memory_order_relaxed);
  }

  // cancel()'s fallback when more armed nodes turned up than it had room for (registrations
  // that raced it by more than unlisted_room, all pushing new nodes): the rest run in list
  // order, newest push first, without allocating. Their order against cancel() was
  // unspecified anyway. An exception beyond the reserved room is kept only if the vector can
  // still grow (an allocation failure there, with that many racing registrations that throw,
  // is the one place an exception can be dropped).
  void run_the_rest(std::vector<std::exception_ptr>& errors) {
    // seq_cst: as cancel()'s traversal.
    for (registration_node* node = head_.load(std::memory_order_seq_cst); node != nullptr; node = node->next.load()) {
      const std::uint64_t word = node->word.load(std::memory_order_seq_cst);  // seq_cst: as cancel()'s
      if (registration_node::status_of(word) != registration_node::armed) continue;
      const std::uint64_t generation = registration_node::generation_of(word);
      if (!try_start(node, generation)) continue;
      if (std::exception_ptr error = run_started(node, generation)) {
        try {
          errors.push_back(std::move(error));
        } catch (const std::bad_alloc&) {
        }
      }
    }
  }

  // Recycles a free node for `generation` (now claimed by the caller), or nullptr.
  registration_node* claim_free_node(std::uint64_t generation) {
    registration_node* node = pop_free();
    if (node == nullptr) return nullptr;
    // relaxed: the pop made this thread the node's only owner; cancel() ignores claimed nodes,
    // and the arming store that follows publishes everything.
    node->word.store(registration_node::pack(generation, registration_node::claimed), std::memory_order_relaxed);
    return node;
  }

  void push_free(registration_node* node) {
    // relaxed: the CAS re-checks the head.
    registration_node* head = free_head_.load(std::memory_order_relaxed);
    do {
      node->free_next.store(head);  // published by the release CAS below
      // release: pairs with pop_free()'s acquire load of the head: the popper sees free_next,
      // and the callback storage as unregister() left it (destroyed). relaxed on failure:
      // retried.
    } while (!free_head_.compare_exchange_weak(head, node, std::memory_order_release, std::memory_order_relaxed));
  }

  // One popper at a time (a try-lock; a registrant that finds it taken allocates instead), so
  // a pop never meets ABA: between the popper's read of the head and its CAS, other threads
  // can only push, and a head still equal to the node it read is that same node, still on the
  // stack, with the successor it read. Pushes stay lock-free.
  registration_node* pop_free() {
    // acquire: pairs with the previous popper's release store below, so this pop's reads of
    // the head come after that pop's CAS (otherwise a stale head, popped and pushed back since,
    // could pass the CAS with a stale successor: ABA again).
    if (popping_.exchange(true, std::memory_order_acquire)) return nullptr;
    // acquire: pairs with push_free()'s release CAS (the node's free_next and its storage);
    // the pops' CASes in between are read-modify-writes, which continue that release sequence.
    registration_node* node = free_head_.load(std::memory_order_acquire);
    while (node != nullptr &&
           // acquire on failure: pairs with push_free()'s release CAS, as the load above (the
           // retry reads the new head's node). On success it adds nothing (the load that found
           // the node acquired it), but the facade forbids a failure order above the success one.
           !free_head_.compare_exchange_weak(node, node->free_next.load(), std::memory_order_acquire, std::memory_order_acquire)) {
    }
    // release: pairs with the next popper's acquire exchange above.
    popping_.store(false, std::memory_order_release);
    return node;
  }

  void push(registration_node* node) {
    // relaxed: a size hint for cancel() (listed_nodes()), counted before the node is listed.
    listed_.fetch_add(1, std::memory_order_relaxed);
    // relaxed: the CAS re-checks the head.
    registration_node* head = head_.load(std::memory_order_relaxed);
    do {
      node->next.store(head);
      // seq_cst: the registrant's write in the Dekker pattern (a new node is born armed); it
      // also publishes the node's fields (release) to traversals. relaxed on failure: retried.
    } while (!head_.compare_exchange_weak(head, node, std::memory_order_seq_cst, std::memory_order_relaxed));
  }

  // The CAS that decides who runs an armed callback: cancel() or the registrant.
  static bool try_start(registration_node* node, std::uint64_t generation) {
    std::uint64_t expected = registration_node::pack(generation, registration_node::armed);
    const std::uint64_t running = registration_node::pack(generation, registration_node::running);
    // acquire: pairs with the arming store / push CAS: the callback is fully stored. relaxed on
    // failure: the node was unregistered or started by the other party; nothing is read.
    return node->word.compare_exchange_strong(expected, running, std::memory_order_acquire, std::memory_order_relaxed);
  }

  static std::exception_ptr run_started(registration_node* node, std::uint64_t generation) {
    // relaxed: read back only by this same thread (wait_for_callback's self check).
    node->runner.store(sync::current_thread_token(), std::memory_order_relaxed);
    std::exception_ptr error;
    if (node->owner.load() == generation) {  // always true; the read lets models see the hand-over
      try {
        node->callback();
      } catch (...) {
        error = std::current_exception();
      }
    }
    node->callback = nullptr;
    node->owner.store(0);
    // release: pairs with the acquire load in wait_for_callback(): a waiter that sees `done`
    // sees the callback's effects and its destruction.
    node->word.store(registration_node::pack(generation, registration_node::done), std::memory_order_release);
    return error;
  }

  // Read by every registration (twice) and every poll: on a cache line of its own, away from
  // the fields every registration writes, so polls and registrations on other threads do not
  // miss on it each time one registers (false sharing).
  alignas(config::cache_line_size) sync::atomic<std::uint32_t> flags_{0};
  alignas(config::cache_line_size) sync::atomic<registration_node*> head_{nullptr};
  sync::atomic<std::uint64_t> next_generation_{1};
  sync::atomic<std::size_t> listed_{0};  // nodes pushed on the list (never removed while the state lives)
  sync::atomic<registration_node*> free_head_{nullptr};  // the free stack (pushes lock-free, one popper)
  sync::atomic<bool> popping_{false};                    // the free stack's popper lock
  sync::atomic<std::uint32_t> references_;
  const bool recorded_;  // diagnostics list this state (tpl/diagnostics.hpp): say when it goes
};

}  // namespace tpl::detail

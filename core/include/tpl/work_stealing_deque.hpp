/// \file
/// tpl::work_stealing_deque — the per-worker Chase-Lev deque of tpl's thread pool.
///
/// Algorithm: D. Chase and Y. Lev, "Dynamic Circular Work-Stealing Deque", SPAA 2005, in the C11
/// formulation of N. M. Lê, A. Pop, A. Cohen, F. Zappa Nardelli, "Correct and Efficient
/// Work-Stealing for Weak Memory Models", PPoPP 2013 — with the correction found by CDSChecker
/// (B. Norris, B. Demsky, OOPSLA 2013): publishing a grown buffer needs a release store paired
/// with an acquire load, not the paper's relaxed store and consume load. Where we differ from
/// the paper (each argued in docs/memory-orders.md and rechecked by the models): steal's load of
/// `top` is relaxed (the seq_cst fence after it orders it); the CAS on `top` is release in
/// steal and relaxed in pop (RMW atomicity decides the race, the fences do the ordering); push
/// publishes with a release *store* of `bottom` instead of a release fence plus a relaxed store
/// (same guarantee; ThreadSanitizer understands stores, not fences); and pop's stores to
/// `bottom` are release, not relaxed (C++20 release sequences contain only RMWs).
/// .NET's WorkStealingQueue takes a lock on steals; this deque is lock-free for everyone.
///
/// Roles. The owner (one thread at a time) pushes and pops at the bottom, newest first (LIFO);
/// any number of thieves steal from the top, oldest first (FIFO). The API is split by role:
/// `owner()` hands out the single deque_owner, `stealer()` any number of deque_stealer copies.
///
/// Memory-ordering contract. Everything the owner wrote before push(x) happens-before
/// everything done by the thread that obtains x, whether by pop() or by a successful steal().
/// Each pushed item is obtained exactly once.
///
/// Memory bound. The buffer doubles when full and never shrinks. A replaced buffer is retired,
/// not freed (a thief may still be reading it), until the deque is destroyed. Retired buffers
/// are the halves of the current one, so together they are smaller than it: the deque uses at
/// most 2 x capacity x sizeof(T) bytes of slots, capacity being the largest it ever held.
///
/// Lifetime. Handles do not own the deque: destroy it only after every owner and stealer
/// handle has stopped using it (the pool owns deques and outlives its workers).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tpl/config.hpp"
#include "tpl/detail/deque_buffer.hpp"
#include "tpl/detail/basic_exceptions.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl {

/// Items travel through relaxed atomic slots, so they must be small trivially copyable values:
/// a pointer to a task, an index. Ownership of what they point to moves with the item.
template <class T>
concept deque_item = std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T> &&
                     sizeof(T) <= sizeof(void*);

enum class steal_status : std::uint8_t {
  success,    ///< the oldest item was taken
  empty,      ///< the deque looked empty
  lost_race,  // another thief, or the owner taking the last item, got there first: retry or
              // move to another victim
};

template <deque_item T>
class [[nodiscard]] steal_result {
 public:
  static steal_result success(T item) noexcept { return steal_result(steal_status::success, item); }
  static steal_result empty() noexcept { return steal_result(steal_status::empty, T{}); }
  static steal_result lost_race() noexcept { return steal_result(steal_status::lost_race, T{}); }

  [[nodiscard]] steal_status status() const noexcept { return status_; }
  [[nodiscard]] bool succeeded() const noexcept { return status_ == steal_status::success; }
  explicit operator bool() const noexcept { return succeeded(); }

  /// The stolen item. Asking a failed steal for its item is a logic error, reported.
  [[nodiscard]] T item() const {
    if (!succeeded()) throw invalid_operation("steal_result::item: the steal did not succeed");
    return item_;
  }

 private:
  steal_result(steal_status status, T item) noexcept : status_(status), item_(item) {}
  steal_status status_;
  T item_;
};

template <deque_item T>
class work_stealing_deque;

/// The owner's handle: push and pop at the bottom. Use from one thread at a time (a handle may
/// be moved to another thread, with a happens-before edge between the two, e.g. thread start).
template <deque_item T>
class deque_owner {
 public:
  deque_owner(deque_owner&& other) noexcept : deque_(std::exchange(other.deque_, nullptr)) {}
  deque_owner& operator=(deque_owner&& other) noexcept {
    deque_ = std::exchange(other.deque_, nullptr);
    return *this;
  }
  deque_owner(const deque_owner&) = delete;
  deque_owner& operator=(const deque_owner&) = delete;
  ~deque_owner() = default;

  void push(T item) { checked().push(item); }
  [[nodiscard]] std::optional<T> pop() { return checked().pop(); }
  /// The index the next push() writes; pop() takes the item at next_index() - 1. Indices only
  /// identify positions (a later push may reuse a popped index), which is what thread_pool
  /// needs to tell an enclosing frame's items from those pushed after a wait began.
  [[nodiscard]] std::int64_t next_index() const { return checked().next_index(); }
  /// Whether `item` is in the deque (for diagnostics: a worker's deadlock check,
  /// core/src/diagnostics.cpp). Reads the slots without taking anything.
  [[nodiscard]] bool holds(T item) const {
    return checked().holds_if([item](const T& each) { return each == item; });
  }
  /// Whether an item for which `match(item)` is true is in the deque (diagnostics: a coroutine's
  /// resumption queued behind a wait). Reads the slots as holds() does.
  template <class Predicate>
  [[nodiscard]] bool holds_if(Predicate match) const {
    return checked().holds_if(match);
  }

 private:
  friend class work_stealing_deque<T>;
  explicit deque_owner(work_stealing_deque<T>& deque) noexcept : deque_(&deque) {}
  work_stealing_deque<T>& checked() const {
    if (deque_ == nullptr) throw invalid_operation("deque_owner: use of a moved-from owner handle");
    return *deque_;
  }
  work_stealing_deque<T>* deque_;
};

/// A thief's handle: steal from the top. Copy freely; any thread may steal.
template <deque_item T>
class deque_stealer {
 public:
  steal_result<T> steal() const { return deque_->steal(); }

 private:
  friend class work_stealing_deque<T>;
  explicit deque_stealer(work_stealing_deque<T>& deque) noexcept : deque_(&deque) {}
  work_stealing_deque<T>* deque_;
};

template <deque_item T>
class work_stealing_deque {
 public:
  /// `initial_capacity` must be a power of two, at least 2.
  explicit work_stealing_deque(std::int64_t initial_capacity = config::deque_initial_capacity)
      : buffer_(make_first_buffer(initial_capacity)) {}

  ~work_stealing_deque() {
    // relaxed: destruction requires every handle to be done (see Lifetime), and whatever
    // handed the deque's end of life to this thread (a join) ordered their last accesses.
    buffer::destroy_chain(buffer_.load(std::memory_order_relaxed));
  }

  work_stealing_deque(const work_stealing_deque&) = delete;
  work_stealing_deque& operator=(const work_stealing_deque&) = delete;

  /// The single owner handle. A second call throws: two owners would race on `bottom`.
  [[nodiscard]] deque_owner<T> owner() {
    // relaxed: only the exchange's atomicity matters (exactly one caller sees false); the
    // handle reaches its thread through the caller's own synchronisation.
    if (owner_taken_.exchange(true, std::memory_order_relaxed)) {
      throw invalid_operation("work_stealing_deque::owner: the owner handle was already taken");
    }
    return deque_owner<T>(*this);
  }

  [[nodiscard]] deque_stealer<T> stealer() noexcept { return deque_stealer<T>(*this); }

  /// How many items the deque holds, for statistics (a diagnostics snapshot): a racy count that
  /// may be a moment old; never negative.
  [[nodiscard]] std::int64_t approximate_size() const {
    // relaxed: a statistic; nothing is read through it, and no decision of the deque's
    // protocol depends on it (docs/memory-orders.md: diagnostics-only loads).
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);
    // relaxed: as bottom_ above; a count a moment old is what a snapshot promises.
    const std::int64_t top = top_.load(std::memory_order_relaxed);
    return bottom > top ? bottom - top : 0;
  }

 private:
  using buffer = detail::deque_buffer<T>;
  friend class deque_owner<T>;
  friend class deque_stealer<T>;

  static buffer* make_first_buffer(std::int64_t capacity) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0) {
      throw std::invalid_argument("work_stealing_deque: initial capacity must be a power of two >= 2");
    }
    return buffer::create(capacity, nullptr);
  }

  std::int64_t next_index() const {
    // relaxed: only the owner writes bottom_, so it reads its own last store.
    return bottom_.load(std::memory_order_relaxed);
  }

  template <class Predicate>
  bool holds_if(const Predicate& match) const {
    // relaxed: only the owner writes bottom_, and this is the owner.
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);
    // relaxed: only the owner writes buffer_ (push's grow), and this is the owner.
    buffer* current = buffer_.load(std::memory_order_relaxed);
    // relaxed: a diagnostic only (docs/memory-orders.md). A stale top may make the scan read a
    // slot a thief already took: the caller asks only when no thief can run (its pool is stalled).
    const std::int64_t top = top_.load(std::memory_order_relaxed);
    for (std::int64_t index = top; index < bottom; ++index) {
      if (match(current->get(index))) return true;
    }
    return false;
  }

  void push(T item) {
    // relaxed: only the owner writes bottom_, so it reads its own last store.
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);
    // acquire: pairs with the release half of the seq_cst CAS on top_ in steal(): a thief's
    // read of slot `top - 1` happens-before the owner reuses that slot after a wrap-around.
    // Only load buffering could break it without acquire (see docs/memory-orders.md).
    const std::int64_t top = top_.load(std::memory_order_acquire);
    // relaxed: only the owner writes buffer_.
    buffer* current = buffer_.load(std::memory_order_relaxed);
    if (bottom - top >= current->capacity()) {
      current = current->grow(top, bottom);
      // release: pairs with the acquire load of buffer_ in steal(), so a thief that sees the
      // new buffer sees the slots grow() copied into it (the CDSChecker fix of Lê et al.).
      buffer_.store(current, std::memory_order_release);
    }
    current->put(bottom, item);
    // release: pairs with the acquire load of bottom_ in steal(): a thief that sees the new
    // bottom sees the slot just written and everything the owner did before push().
    bottom_.store(bottom + 1, std::memory_order_release);
  }

  std::optional<T> pop() {
    // relaxed: only the owner writes bottom_, so it reads its own last store.
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed) - 1;
    // relaxed: only the owner writes buffer_.
    buffer* current = buffer_.load(std::memory_order_relaxed);
    // release: a thief may read bottom_ from this store and then read a slot below it, which an
    // earlier push() published. Under C++20 a release sequence continues only through
    // read-modify-writes, so this store must carry that publication itself (C++11 counted the
    // owner's later stores in push()'s release sequence). Its ordering before the load of top_
    // comes from the seq_cst fence below.
    bottom_.store(bottom, std::memory_order_release);
    // seq_cst: pairs with the seq_cst fence in steal() (store->load, Dekker): either the thief
    // sees the decremented bottom_, or this owner sees the thief's incremented top_. Without it
    // both can take the last item.
    sync::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: ordered after the bottom_ store by the fence above.
    std::int64_t top = top_.load(std::memory_order_relaxed);
    if (top > bottom) {
      // Empty: undo the reservation. release: as for the reservation store above.
      bottom_.store(bottom + 1, std::memory_order_release);
      return std::nullopt;
    }
    T item = current->get(bottom);
    if (top != bottom) return item;  // more than one item: no thief can reach this one
    // The last item: race the thieves for it with a CAS on top_, like a steal.
    // relaxed: which side gets the item is decided by the CAS's atomicity alone (all RMWs on
    // top_ are totally ordered, so exactly one of two CASes from `top` succeeds); the store->load
    // ordering the race needs comes from the fences, not from this CAS; and the owner reads
    // nothing another thread published through top_. (Lê et al. use seq_cst; see
    // docs/memory-orders.md for why it buys nothing here.)
    const bool won = top_.compare_exchange_strong(top, top + 1, std::memory_order_relaxed, std::memory_order_relaxed);
    // release: as for the reservation store above (the deque is empty now, but a thief may
    // read this value before the owner pushes again).
    bottom_.store(bottom + 1, std::memory_order_release);
    if (!won) return std::nullopt;
    return item;
  }

  steal_result<T> steal() {
    // relaxed: the seq_cst fence below orders this load before the load of bottom_, which is
    // all the algorithm needs of it; the item's contents are published through bottom_, not
    // top_ (Lê et al. use acquire here; the fence makes it redundant, docs/memory-orders.md).
    std::int64_t top = top_.load(std::memory_order_relaxed);
    // seq_cst: pairs with the seq_cst fence in pop() (see there).
    sync::atomic_thread_fence(std::memory_order_seq_cst);
    // acquire: pairs with the release store of bottom_ in push(): the slot at `top` and the
    // item's payload are visible once the thief sees bottom_ past it.
    const std::int64_t bottom = bottom_.load(std::memory_order_acquire);
    if (top >= bottom) return steal_result<T>::empty();
    // acquire: pairs with the release store of buffer_ in push() after grow(): a new buffer
    // is seen with the slots copied into it.
    buffer* current = buffer_.load(std::memory_order_acquire);
    T item = current->get(top);
    // release: pairs with push()'s acquire load of top_: this thief's read of slot `top` just
    // above happens-before the owner reuses that slot after a wrap-around (it only reuses it
    // once it sees top_ past it). Which thief, or the owner, gets the item is decided by the
    // CAS's atomicity, not its order (docs/memory-orders.md; Lê et al. use seq_cst). relaxed on
    // failure: the loser discards the item it read and reports lost_race.
    if (!top_.compare_exchange_strong(top, top + 1, std::memory_order_release, std::memory_order_relaxed)) {
      return steal_result<T>::lost_race();
    }
    return steal_result<T>::success(item);
  }

  /// top_ is CASed by thieves (and by the owner for the last item); bottom_ and buffer_ are
  /// written only by the owner and read by thieves. Separate cache lines: thieves hammer top_.
  alignas(config::cache_line_size) sync::atomic<std::int64_t> top_{0};
  alignas(config::cache_line_size) sync::atomic<std::int64_t> bottom_{0};
  sync::atomic<buffer*> buffer_;
  sync::atomic<bool> owner_taken_{false};
};

}  // namespace tpl

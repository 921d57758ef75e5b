// Cost of the deque's operations, beside a mutex-protected std::deque (the "naive" work queue)
// in the same run. Figures are quoted in docs/deque.md; nothing here is asserted.
//
//   owner_push_pop      owner pushes a batch then pops it (the pool's common, uncontended path)
//   push_then_steal     one thread pushes a batch then steals it (a steal's fixed cost: fence + CAS)
//   steal_contended     thread 0 keeps the deque full, the other threads steal (real contention)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <tpl/work_stealing_deque.hpp>

namespace {

constexpr std::int64_t batch = 256;

void owner_push_pop(benchmark::State& state) {
  tpl::work_stealing_deque<std::int64_t> deque;
  auto owner = deque.owner();
  for (auto _ : state) {
    for (std::int64_t item = 0; item < batch; ++item) owner.push(item);
    for (std::int64_t item = 0; item < batch; ++item) benchmark::DoNotOptimize(owner.pop());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(owner_push_pop);

void push_then_steal(benchmark::State& state) {
  tpl::work_stealing_deque<std::int64_t> deque;
  auto owner = deque.owner();
  auto stealer = deque.stealer();
  for (auto _ : state) {
    for (std::int64_t item = 0; item < batch; ++item) owner.push(item);
    for (std::int64_t item = 0; item < batch; ++item) benchmark::DoNotOptimize(stealer.steal());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(push_then_steal);

// The naive alternative: one mutex around a std::deque, push_back / pop_back / pop_front.
struct locked_deque {
  std::mutex mutex;
  std::deque<std::int64_t> items;
  void push(std::int64_t item) {
    std::lock_guard lock(mutex);
    items.push_back(item);
  }
  std::optional<std::int64_t> pop() {
    std::lock_guard lock(mutex);
    if (items.empty()) return std::nullopt;
    std::int64_t item = items.back();
    items.pop_back();
    return item;
  }
  std::optional<std::int64_t> steal() {
    std::lock_guard lock(mutex);
    if (items.empty()) return std::nullopt;
    std::int64_t item = items.front();
    items.pop_front();
    return item;
  }
};

void locked_deque_push_pop(benchmark::State& state) {
  locked_deque deque;
  for (auto _ : state) {
    for (std::int64_t item = 0; item < batch; ++item) deque.push(item);
    for (std::int64_t item = 0; item < batch; ++item) benchmark::DoNotOptimize(deque.pop());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(locked_deque_push_pop);

// Thread 0 owns the deque: it pushes a batch and pops until empty, as a worker does; the other
// threads only steal. Items processed = items taken by anyone.
tpl::work_stealing_deque<std::int64_t>* shared_deque = nullptr;
std::optional<tpl::deque_owner<std::int64_t>> shared_owner;
locked_deque* shared_locked = nullptr;

void steal_contended(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_deque = new tpl::work_stealing_deque<std::int64_t>();
    shared_owner.emplace(shared_deque->owner());
  }
  // Google Benchmark starts timing for all threads together, after every setup above.
  std::int64_t taken = 0;
  for (auto _ : state) {
    if (state.thread_index() == 0) {
      // Push a batch, then drain what the thieves left: the deque never holds more than a batch.
      for (std::int64_t item = 0; item < batch; ++item) shared_owner->push(item);
      while (shared_owner->pop()) ++taken;
    } else {
      auto stealer = shared_deque->stealer();
      for (std::int64_t attempt = 0; attempt < batch / 2; ++attempt) taken += stealer.steal().succeeded();
    }
  }
  state.SetItemsProcessed(taken);
  if (state.thread_index() == 0) {
    shared_owner.reset();
    delete shared_deque;
  }
}
BENCHMARK(steal_contended)->Threads(2)->Threads(4)->UseRealTime();

void locked_steal_contended(benchmark::State& state) {
  if (state.thread_index() == 0) shared_locked = new locked_deque();
  std::int64_t taken = 0;
  for (auto _ : state) {
    if (state.thread_index() == 0) {
      for (std::int64_t item = 0; item < batch; ++item) shared_locked->push(item);
      while (shared_locked->pop()) ++taken;
    } else {
      for (std::int64_t attempt = 0; attempt < batch / 2; ++attempt) taken += shared_locked->steal().has_value();
    }
  }
  state.SetItemsProcessed(taken);
  if (state.thread_index() == 0) delete shared_locked;
}
BENCHMARK(locked_steal_contended)->Threads(2)->Threads(4)->UseRealTime();

}  // namespace

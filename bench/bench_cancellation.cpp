// Cancellation costs, tpl beside std::stop_source / std::stop_callback in the same run:
//   register_unregister        one registration made and dropped on a live source (the common
//                              case: an operation that was not canceled); 1 thread, and 2
//                              threads on one shared source (contended)
//   cancel_1000                cancel() with 1,000 registrations (timed: cancel alone)
//   poll                       is_cancellation_requested() / stop_requested()
// Callbacks only count, so the figures are the protocol's cost.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace {

struct counting_callback {
  int* count;
  void operator()() const noexcept { ++*count; }
};

// ---- register + unregister on a live source ----
tpl::cancellation_token_source& shared_tpl_source() {
  static tpl::cancellation_token_source source;
  return source;
}
std::stop_source& shared_std_source() {
  static std::stop_source source;
  return source;
}

void tpl_register_unregister(benchmark::State& state) {
  const tpl::cancellation_token token = shared_tpl_source().token();
  int count = 0;
  for (auto _ : state) {
    tpl::cancellation_registration registration = token.register_callback(counting_callback{&count});
    benchmark::DoNotOptimize(registration);
  }
  benchmark::DoNotOptimize(count);
}
void std_register_unregister(benchmark::State& state) {
  const std::stop_token token = shared_std_source().get_token();
  int count = 0;
  for (auto _ : state) {
    std::stop_callback<counting_callback> callback(token, counting_callback{&count});
    benchmark::DoNotOptimize(callback);
  }
  benchmark::DoNotOptimize(count);
}

// ---- cancel with 1,000 registrations ----
constexpr int registrations_per_cancel = 1000;

void tpl_cancel_1000(benchmark::State& state) {
  int count = 0;
  for (auto _ : state) {
    tpl::cancellation_token_source source;
    std::vector<tpl::cancellation_registration> registrations;
    registrations.reserve(registrations_per_cancel);
    for (int index = 0; index < registrations_per_cancel; ++index) {
      registrations.push_back(source.token().register_callback(counting_callback{&count}));
    }
    const auto start = std::chrono::steady_clock::now();
    source.cancel();
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  if (count != registrations_per_cancel * static_cast<int>(state.iterations())) state.SkipWithError("wrong count");
}
void std_cancel_1000(benchmark::State& state) {
  int count = 0;
  for (auto _ : state) {
    std::stop_source source;
    std::vector<std::unique_ptr<std::stop_callback<counting_callback>>> callbacks;
    callbacks.reserve(registrations_per_cancel);
    for (int index = 0; index < registrations_per_cancel; ++index) {
      callbacks.push_back(std::make_unique<std::stop_callback<counting_callback>>(source.get_token(), counting_callback{&count}));
    }
    const auto start = std::chrono::steady_clock::now();
    source.request_stop();
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  if (count != registrations_per_cancel * static_cast<int>(state.iterations())) state.SkipWithError("wrong count");
}

// Registering 1,000 then destroying them all without a cancel (the registration side at scale).
void tpl_register_1000(benchmark::State& state) {
  tpl::cancellation_token_source source;
  int count = 0;
  for (auto _ : state) {
    std::vector<tpl::cancellation_registration> registrations;
    registrations.reserve(registrations_per_cancel);
    for (int index = 0; index < registrations_per_cancel; ++index) {
      registrations.push_back(source.token().register_callback(counting_callback{&count}));
    }
  }
}
void std_register_1000(benchmark::State& state) {
  std::stop_source source;
  int count = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<std::stop_callback<counting_callback>>> callbacks;
    callbacks.reserve(registrations_per_cancel);
    for (int index = 0; index < registrations_per_cancel; ++index) {
      callbacks.push_back(std::make_unique<std::stop_callback<counting_callback>>(source.get_token(), counting_callback{&count}));
    }
  }
}

// ---- polling ----
void tpl_poll(benchmark::State& state) {
  const tpl::cancellation_token token = shared_tpl_source().token();
  for (auto _ : state) benchmark::DoNotOptimize(token.is_cancellation_requested());
}
void std_poll(benchmark::State& state) {
  const std::stop_token token = shared_std_source().get_token();
  for (auto _ : state) benchmark::DoNotOptimize(token.stop_requested());
}

}  // namespace

BENCHMARK(tpl_register_unregister)->Name("register_unregister/tpl")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(std_register_unregister)->Name("register_unregister/std::stop_callback")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(tpl_register_1000)->Name("register_1000_then_drop/tpl")->Unit(benchmark::kMicrosecond);
BENCHMARK(std_register_1000)->Name("register_1000_then_drop/std::stop_callback")->Unit(benchmark::kMicrosecond);
BENCHMARK(tpl_cancel_1000)->Name("cancel_1000/tpl")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(std_cancel_1000)->Name("cancel_1000/std::stop_source")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(tpl_poll)->Name("poll/tpl");
BENCHMARK(std_poll)->Name("poll/std::stop_token");

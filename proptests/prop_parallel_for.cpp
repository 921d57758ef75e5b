// RapidCheck properties of tpl::parallel_for and tpl::parallel_invoke on real pools: for random
// ranges, grains, worker counts and sets of throwing iterations,
//   * without exceptions every index in [first, last) runs exactly once and nothing else runs;
//   * with exceptions, every collected exception comes from an index that throws, none twice,
//     at least one is collected, and no body is still running when the call returns;
//   * parallel_invoke runs every piece once and collects exactly the pieces that threw, in
//     piece order.
// Prints "Using configuration: seed=N"; reproduce with RC_PARAMS="seed=N".
#include <rapidcheck.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <tpl/parallel.hpp>
#include "support/pools_by_worker_count.hpp"
#include <vector>

namespace {

}  // namespace

int main() {
  tpl_test::pools_by_worker_count shared;
  bool passed = true;

  passed &= rc::check("parallel_for runs every index exactly once", [&] {
    const auto workers = *rc::gen::inRange<std::size_t>(1, 5);
    const auto first = *rc::gen::inRange<std::int64_t>(-1000, 1000);
    const auto length = *rc::gen::inRange<std::int64_t>(0, 5000);
    const auto grain = *rc::gen::inRange<std::int64_t>(0, 300);  // 0: automatic
    std::vector<std::atomic<int>> visits(static_cast<std::size_t>(length));
    tpl::parallel_for(
        first, first + length,
        [&](std::int64_t index) {
          RC_ASSERT(index >= first);
          RC_ASSERT(index < first + length);
          visits[static_cast<std::size_t>(index - first)].fetch_add(1);
        },
        tpl::parallel_options{&shared.get(workers), grain});
    for (const auto& each : visits) RC_ASSERT(each.load() == 1);
  });

  passed &= rc::check("parallel_for collects exceptions from throwing indices only, once each", [&] {
    const auto workers = *rc::gen::inRange<std::size_t>(1, 5);
    const auto length = *rc::gen::inRange<std::int64_t>(1, 2000);
    const auto grain = *rc::gen::inRange<std::int64_t>(1, 64);
    const auto throwing = *rc::gen::container<std::set<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, length));
    RC_PRE(!throwing.empty());
    std::atomic<int> running{0};
    try {
      tpl::parallel_for(
          std::int64_t{0}, length,
          [&](std::int64_t index) {
            running.fetch_add(1);
            struct leave {
              std::atomic<int>& running;
              ~leave() { running.fetch_sub(1); }
            } on_exit{running};
            if (throwing.count(index) != 0) throw std::runtime_error(std::to_string(index));
          },
          tpl::parallel_options{&shared.get(workers), grain});
      RC_FAIL("no exception reached the caller");
    } catch (const tpl::aggregate_exception& error) {
      RC_ASSERT(!error.inner_exceptions().empty());
      std::set<std::int64_t> seen;
      for (const auto& each : error.inner_exceptions()) {
        try {
          std::rethrow_exception(each);
        } catch (const std::runtime_error& inner) {
          const std::int64_t index = std::stoll(inner.what());
          RC_ASSERT(throwing.count(index) == 1u);
          RC_ASSERT(seen.insert(index).second);
        }
      }
    }
    RC_ASSERT(running.load() == 0);
  });

  passed &= rc::check("parallel_invoke collects exactly the pieces that threw, in order", [&] {
    const auto workers = *rc::gen::inRange<std::size_t>(1, 5);
    const auto throws = *rc::gen::container<std::vector<bool>>(4, rc::gen::arbitrary<bool>());
    std::atomic<int> ran{0};
    auto piece = [&](int index) {
      return [&, index] {
        ran.fetch_add(1);
        if (throws[static_cast<std::size_t>(index)]) throw std::runtime_error(std::to_string(index));
      };
    };
    std::vector<int> reported;
    try {
      tpl::parallel_invoke(tpl::parallel_options{&shared.get(workers)}, piece(0), piece(1), piece(2), piece(3));
    } catch (const tpl::aggregate_exception& error) {
      for (const auto& each : error.inner_exceptions()) {
        try {
          std::rethrow_exception(each);
        } catch (const std::runtime_error& inner) {
          reported.push_back(std::stoi(inner.what()));
        }
      }
    }
    std::vector<int> expected;
    for (int index = 0; index < 4; ++index) {
      if (throws[static_cast<std::size_t>(index)]) expected.push_back(index);
    }
    RC_ASSERT(ran.load() == 4);
    RC_ASSERT(reported == expected);
  });

  return passed ? 0 : 1;
}

// Stress of tpl::work_stealing_deque for ThreadSanitizer and AddressSanitizer+UBSan: one owner
// pushes (and now and then pops) 1,000,000 items while thieves steal, starting from capacity 2
// so the buffer grows under the thieves' feet. Then many short-lived deques, each grown and
// raced over, are destroyed, to catch a buffer freed while a thief can still read it.
//
// Checked: every item is taken exactly once (a plain counter per item: a double take is both a
// wrong count and, under TSan, a race), and the taker sees the payload the owner wrote before
// pushing (plain data, published only by the deque).
//
// Usage: stress_work_stealing_deque [items] [thieves]
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <tpl/work_stealing_deque.hpp>
#include <vector>

namespace {

struct item {
  std::int64_t payload = 0;  // written by the owner before push
  int times_taken = 0;       // written by whoever takes the item
};

struct run_result {
  std::int64_t items_taken_by_thieves = 0;
  std::int64_t lost_races = 0;
};

// One deque, `count` items, `thief_count` thieves. Returns false on a broken invariant.
bool race_one_deque(std::int64_t count, int thief_count, std::int64_t initial_capacity, run_result& result) {
  std::vector<item> items(static_cast<std::size_t>(count));
  tpl::work_stealing_deque<item*> deque(initial_capacity);
  std::atomic<bool> owner_done{false};
  std::vector<std::int64_t> checksums(static_cast<std::size_t>(thief_count) + 1, 0);
  std::vector<std::int64_t> stolen(static_cast<std::size_t>(thief_count), 0);
  std::vector<std::int64_t> lost(static_cast<std::size_t>(thief_count), 0);

  std::vector<std::thread> thieves;
  for (int thief = 0; thief < thief_count; ++thief) {
    thieves.emplace_back([&, thief, stealer = deque.stealer()] {
      for (;;) {
        tpl::steal_result<item*> result = stealer.steal();
        if (result) {
          item* taken = result.item();
          if (taken->payload != (taken - items.data()) + 1) std::abort();  // publication broken
          ++taken->times_taken;
          checksums[static_cast<std::size_t>(thief) + 1] += taken->payload;
          ++stolen[static_cast<std::size_t>(thief)];
        } else if (result.status() == tpl::steal_status::lost_race) {
          ++lost[static_cast<std::size_t>(thief)];
        } else if (owner_done.load(std::memory_order_acquire)) {
          return;  // the owner drained the deque before setting the flag: nothing can appear
        } else {
          std::this_thread::yield();  // one core in practice: let the owner make progress
        }
      }
    });
  }

  {
    tpl::deque_owner<item*> owner = deque.owner();
    std::int64_t& checksum = checksums[0];
    auto owner_take = [&](item* taken) {
      if (taken->payload != (taken - items.data()) + 1) std::abort();
      ++taken->times_taken;
      checksum += taken->payload;
    };
    for (std::int64_t index = 0; index < count; ++index) {
      items[static_cast<std::size_t>(index)].payload = index + 1;
      owner.push(&items[static_cast<std::size_t>(index)]);
      if (index % 3 == 2) {  // pop one of every three: both ends stay busy
        if (auto taken = owner.pop()) owner_take(*taken);
      }
    }
    while (auto taken = owner.pop()) owner_take(*taken);
  }
  owner_done.store(true, std::memory_order_release);
  for (std::thread& thief : thieves) thief.join();

  std::int64_t checksum = 0;
  for (std::int64_t part : checksums) checksum += part;
  for (std::int64_t part : stolen) result.items_taken_by_thieves += part;
  for (std::int64_t part : lost) result.lost_races += part;
  bool ok = checksum == count * (count + 1) / 2;
  for (const item& each : items) ok = ok && each.times_taken == 1;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t count = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int thief_count = argc > 2 ? std::atoi(argv[2]) : 3;

  run_result big;
  if (!race_one_deque(count, thief_count, 2, big)) {
    std::fprintf(stderr, "FAILED: an item was lost or taken twice (%lld items)\n", static_cast<long long>(count));
    return 1;
  }
  std::printf("%lld items, %d thieves: each taken exactly once; %lld stolen, %lld lost races\n",
              static_cast<long long>(count), thief_count, static_cast<long long>(big.items_taken_by_thieves),
              static_cast<long long>(big.lost_races));

  run_result small;
  constexpr int rounds = 200;
  for (int round = 0; round < rounds; ++round) {
    if (!race_one_deque(512, 2, 2, small)) {
      std::fprintf(stderr, "FAILED in short-lived deque round %d\n", round);
      return 1;
    }
  }
  std::printf("%d short-lived deques grown from capacity 2 under 2 thieves: all items taken once\n", rounds);
  return 0;
}

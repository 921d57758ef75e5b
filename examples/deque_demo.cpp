// The work-stealing deque on its own (build target tpl_deque_demo). One owner thread splits a sum over 1..N into
// chunks the way a fork-join worker does (push the right half, keep working on the left, pop
// newest first), while thief threads steal the oldest, largest chunks from the other end.
// Prints who did what and checks the sum.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <tpl/work_stealing_deque.hpp>
#include <vector>

namespace {

struct chunk {
  std::int64_t first;
  std::int64_t last;  // exclusive
};
constexpr std::int64_t leaf_size = 1024;

struct worker_stats {
  std::int64_t chunks = 0;
  std::int64_t numbers = 0;
  std::int64_t lost_races = 0;
  std::int64_t sum = 0;
};

// Split a chunk down to leaves: push every right half (a thief may take it), recurse into the
// left half here. Returns the sum of the leaves this thread ran itself.
void run_chunk(chunk work, tpl::deque_owner<chunk*>* owner, std::vector<chunk>& arena,
               std::atomic<std::size_t>& arena_used, worker_stats& stats) {
  while (work.last - work.first > leaf_size && owner != nullptr) {
    const std::int64_t middle = work.first + (work.last - work.first) / 2;
    chunk* right = &arena[arena_used.fetch_add(1, std::memory_order_relaxed)];
    *right = {middle, work.last};
    owner->push(right);
    work.last = middle;
  }
  for (std::int64_t number = work.first; number < work.last; ++number) stats.sum += number;
  stats.numbers += work.last - work.first;
  ++stats.chunks;
}

}  // namespace

int main() {
  constexpr std::int64_t total = 50'000'000;
  constexpr int thief_count = 3;
  // Every chunk a split creates lives here; at most total / leaf_size * 2 of them.
  std::vector<chunk> arena(static_cast<std::size_t>(total / leaf_size * 2 + 16));
  std::atomic<std::size_t> arena_used{0};

  tpl::work_stealing_deque<chunk*> deque;
  std::atomic<bool> done{false};
  std::vector<worker_stats> stats(thief_count + 1);

  std::vector<std::thread> thieves;
  for (int thief = 1; thief <= thief_count; ++thief) {
    thieves.emplace_back([&, thief, stealer = deque.stealer()] {
      worker_stats& mine = stats[static_cast<std::size_t>(thief)];
      while (true) {
        tpl::steal_result<chunk*> result = stealer.steal();
        if (result) {
          // A thief runs a stolen chunk whole (it has no deque of its own in this demo).
          run_chunk(*result.item(), nullptr, arena, arena_used, mine);
        } else if (result.status() == tpl::steal_status::lost_race) {
          ++mine.lost_races;
        } else if (done.load(std::memory_order_acquire)) {
          return;
        } else {
          std::this_thread::yield();
        }
      }
    });
  }

  auto owner = deque.owner();
  run_chunk({1, total + 1}, &owner, arena, arena_used, stats[0]);
  while (auto next = owner.pop()) run_chunk(**next, &owner, arena, arena_used, stats[0]);
  done.store(true, std::memory_order_release);
  for (std::thread& thief : thieves) thief.join();

  std::printf("tpl work-stealing deque demo: sum of 1..%lld split into chunks of <= %lld\n\n",
              static_cast<long long>(total), static_cast<long long>(leaf_size));
  std::printf("%-8s %10s %14s %12s\n", "thread", "chunks", "numbers", "lost races");
  std::int64_t sum = 0;
  std::int64_t numbers = 0;
  for (std::size_t index = 0; index < stats.size(); ++index) {
    std::printf("%-8s %10lld %14lld %12lld\n", index == 0 ? "owner" : ("thief " + std::to_string(index)).c_str(),
                static_cast<long long>(stats[index].chunks), static_cast<long long>(stats[index].numbers),
                static_cast<long long>(stats[index].lost_races));
    sum += stats[index].sum;
    numbers += stats[index].numbers;
  }
  const std::int64_t expected = total * (total + 1) / 2;
  std::printf("\nsum = %lld (expected %lld): %s; every number summed once: %s\n", static_cast<long long>(sum),
              static_cast<long long>(expected), sum == expected ? "correct" : "WRONG",
              numbers == total ? "yes" : "NO");
  return sum == expected && numbers == total ? 0 : 1;
}

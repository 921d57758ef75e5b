// The timer thread: sleeps until the earliest deadline, hands due callbacks to the pool.
#include "tpl/detail/timer_service.hpp"

#include <cstdlib>
#include <exception>
#include <vector>

#include "tpl/errors.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

timer_service& timer_service::instance() {
  // Never destroyed: pool workers, static sources and pending delays may use the service during
  // static destruction. Its thread is stopped by an atexit handler registered after the
  // default pool was built, so it runs before the pool's destructor: the thread never hands
  // work to a destroyed pool. After that, schedule() refuses (see there).
  static timer_service& service = [] () -> timer_service& {
    (void)thread_pool::default_pool();
    auto* created = new timer_service();
    std::atexit([] { instance().stop(); });
    return *created;
  }();
  return service;
}

timer_service::timer_service() : thread_([this] { run(); }) {}

timer_service::~timer_service() { stop(); }

void timer_service::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

timer_service::timer_id timer_service::schedule(clock::time_point due, std::function<void()> expiry) {
  timer_id id = 0;
  bool new_earliest = false;
  {
    std::lock_guard lock(mutex_);
    // Stopped at process exit: nothing would fire. The callback is dropped (outside the lock),
    // which ends a delay() as broken_promise rather than never.
    if (stopping_) return 0;
    id = next_id_++;
    by_deadline_.emplace(key{due, id}, std::move(expiry));
    due_of_.emplace(id, due);
    new_earliest = by_deadline_.begin()->first.second == id;
  }
  if (new_earliest) changed_.notify_one();  // the thread may be sleeping until a later deadline
  return id;
}

bool timer_service::cancel(timer_id id) {
  std::function<void()> discarded;  // destroyed outside the lock: it may release anything
  {
    std::lock_guard lock(mutex_);
    const auto found = due_of_.find(id);
    if (found == due_of_.end()) return false;
    const auto entry = by_deadline_.find(key{found->second, id});
    discarded = std::move(entry->second);
    by_deadline_.erase(entry);
    due_of_.erase(found);
  }
  return true;
}

std::size_t timer_service::pending() const {
  std::lock_guard lock(mutex_);
  return by_deadline_.size();
}

void timer_service::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (by_deadline_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const clock::time_point earliest = by_deadline_.begin()->first.first;
    if (clock::now() < earliest) {
      changed_.wait_until(lock, earliest);
      continue;
    }
    std::vector<std::function<void()>> due;
    while (!by_deadline_.empty() && by_deadline_.begin()->first.first <= clock::now()) {
      due_of_.erase(by_deadline_.begin()->first.second);
      due.push_back(std::move(by_deadline_.begin()->second));
      by_deadline_.erase(by_deadline_.begin());
    }
    lock.unlock();
    for (std::function<void()>& expiry : due) {
      try {
        thread_pool::default_pool().submit(std::function<void()>(expiry));  // a copy: kept if refused
      } catch (const invalid_operation&) {
        expiry();  // the default pool was shut down: run it here rather than lose it
      }
    }
    lock.lock();
  }
}

}  // namespace tpl::detail

// The timer thread: sleeps until the earliest deadline, hands due callbacks to the pool.
#include "tpl/detail/timer_service.hpp"

#include <exception>
#include <vector>

#include "tpl/errors.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

timer_service& timer_service::instance() {
  // The default pool first: statics die in reverse order, so the pool outlives the timer
  // thread that hands it work.
  (void)thread_pool::default_pool();
  static timer_service service;
  return service;
}

timer_service::timer_service() : thread_([this] { run(); }) {}

timer_service::~timer_service() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

timer_service::timer_id timer_service::schedule(clock::time_point due, std::function<void()> expiry) {
  timer_id id = 0;
  bool new_earliest = false;
  {
    std::lock_guard lock(mutex_);
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
        thread_pool::default_pool().submit(std::move(expiry));
      } catch (const invalid_operation&) {
        expiry();  // process exit: the pool is shutting down; run it here rather than lose it
      }
    }
    lock.lock();
  }
}

}  // namespace tpl::detail

// A task's exceptions: the first in place, the rest in a vector. Recording the first exception
// (a body that threw, caught on a noexcept path such as a coroutine's unhandled_exception or a
// worker's run of a queued task) never allocates, so it cannot fail for want of memory; only a
// second and later exception (when_all's aggregate, set_exception with many) can, and those are
// recorded where the caller can still be told.
#pragma once

#include <cstddef>
#include <exception>
#include <utility>
#include <vector>

namespace tpl::detail {

class error_list {
 public:
  [[nodiscard]] bool empty() const noexcept { return !first_; }
  [[nodiscard]] std::size_t size() const noexcept { return first_ ? 1 + rest_.size() : 0; }
  [[nodiscard]] const std::exception_ptr& front() const noexcept { return first_; }

  // The first call never allocates (nor throws); later ones may throw std::bad_alloc, leaving
  // the list as it was.
  void push_back(std::exception_ptr error) {
    if (!first_) {
      first_ = std::move(error);
    } else {
      rest_.push_back(std::move(error));
    }
  }
  void assign(std::vector<std::exception_ptr> errors) {
    if (errors.empty()) {
      clear();
      return;
    }
    first_ = std::move(errors.front());
    errors.erase(errors.begin());
    rest_ = std::move(errors);
  }
  void clear() noexcept {
    first_ = nullptr;
    rest_.clear();
  }

  // Appends every exception, in order, to `to` (which may throw std::bad_alloc).
  void append_to(std::vector<std::exception_ptr>& to) const {
    if (!first_) return;
    to.push_back(first_);
    to.insert(to.end(), rest_.begin(), rest_.end());
  }
  [[nodiscard]] std::vector<std::exception_ptr> to_vector() const {
    std::vector<std::exception_ptr> all;
    all.reserve(size());
    append_to(all);
    return all;
  }

 private:
  std::exception_ptr first_;
  std::vector<std::exception_ptr> rest_;
};

}  // namespace tpl::detail

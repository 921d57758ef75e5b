// A task's exceptions: the first in place, the rest in a vector allocated only when a second one
// arrives, so the list costs a task 16 bytes (a std::vector in place cost 32; a million suspended
// coroutines carry one each). Recording the first exception
// (a body that threw, caught on a noexcept path such as a coroutine's unhandled_exception or a
// worker's run of a queued task) never allocates, so it cannot fail for want of memory; only a
// second and later exception (when_all's aggregate, set_exception with many) can, and those are
// recorded where the caller can still be told.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

namespace tpl::detail {

class error_list {
 public:
  error_list() noexcept = default;
  // Copying may throw std::bad_alloc (a second and later exceptions are on the heap).
  error_list(const error_list& other)
      : first_(other.first_), rest_(other.rest_ ? std::make_unique<std::vector<std::exception_ptr>>(*other.rest_) : nullptr) {}
  error_list(error_list&&) noexcept = default;
  error_list& operator=(error_list&&) noexcept = default;
  error_list& operator=(const error_list&) = delete;  // copy, then move: the target is left as it was if copying throws
  ~error_list() = default;

  [[nodiscard]] bool empty() const noexcept { return !first_; }
  [[nodiscard]] std::size_t size() const noexcept { return first_ ? 1 + rest_size() : 0; }
  [[nodiscard]] const std::exception_ptr& front() const noexcept { return first_; }

  // The first call never allocates (nor throws); later ones may throw std::bad_alloc, leaving
  // the list as it was.
  void push_back(std::exception_ptr error) {
    if (!first_) {
      first_ = std::move(error);
      return;
    }
    if (!rest_) rest_ = std::make_unique<std::vector<std::exception_ptr>>();
    rest_->push_back(std::move(error));
  }
  void assign(std::vector<std::exception_ptr> errors) {
    if (errors.empty()) {
      clear();
      return;
    }
    std::unique_ptr<std::vector<std::exception_ptr>> rest;
    if (errors.size() > 1) rest = std::make_unique<std::vector<std::exception_ptr>>(errors.begin() + 1, errors.end());
    first_ = std::move(errors.front());
    rest_ = std::move(rest);
  }
  void clear() noexcept {
    first_ = nullptr;
    rest_.reset();
  }

  // Appends every exception, in order, to `to` (which may throw std::bad_alloc).
  void append_to(std::vector<std::exception_ptr>& to) const {
    if (!first_) return;
    to.push_back(first_);
    if (rest_) to.insert(to.end(), rest_->begin(), rest_->end());
  }
  [[nodiscard]] std::vector<std::exception_ptr> to_vector() const {
    std::vector<std::exception_ptr> all;
    all.reserve(size());
    append_to(all);
    return all;
  }

 private:
  [[nodiscard]] std::size_t rest_size() const noexcept { return rest_ ? rest_->size() : 0; }

  std::exception_ptr first_;
  std::unique_ptr<std::vector<std::exception_ptr>> rest_;  // the second and later, or nullptr
};

}  // namespace tpl::detail

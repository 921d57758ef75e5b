// An owning pointer to a cancellation source's shared state (one reference), shared by tokens,
// registrations and sources.
#pragma once

#include <utility>

#include "tpl/detail/cancellation_state.hpp"

namespace tpl::detail {

class cancellation_state_ref {
 public:
  cancellation_state_ref() noexcept = default;
  explicit cancellation_state_ref(cancellation_state* adopted) noexcept : state_(adopted) {}
  cancellation_state_ref(const cancellation_state_ref& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_reference();
  }
  cancellation_state_ref(cancellation_state_ref&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  cancellation_state_ref& operator=(cancellation_state_ref other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~cancellation_state_ref() {
    if (state_ != nullptr && state_->release_reference()) delete state_;
  }
  [[nodiscard]] cancellation_state* get() const noexcept { return state_; }
  cancellation_state* operator->() const noexcept { return state_; }

 private:
  cancellation_state* state_ = nullptr;
};

}  // namespace tpl::detail

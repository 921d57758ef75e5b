/// \file
/// The exceptions that do not carry a cancellation token: `invalid_operation`,
/// `aggregate_exception` and `broken_promise`. Users include `<tpl/exceptions.hpp>`, which has
/// every exception; the pool, the deque and the value-task source include only this part, so
/// that they need not parse the cancellation machinery `operation_canceled` holds
/// (docs/compile_time.md).
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tpl {

/// An operation that is not valid in the object's current state (.NET's
/// InvalidOperationException): taking a deque's owner handle twice, completing a completion
/// source twice, using an empty task handle.
class invalid_operation : public std::logic_error {
 public:
  explicit invalid_operation(const std::string& what) : std::logic_error(what) {}
  explicit invalid_operation(const char* what) : std::logic_error(what) {}
};

/// tpl::aggregate_exception — .NET's AggregateException: several exceptions reported as one,
/// by parallel loops (every body that threw) and by blocking waits on tasks (get(), wait_all).
class aggregate_exception : public std::exception {
 public:
  explicit aggregate_exception(std::vector<std::exception_ptr> inner) : inner_(std::move(inner)) {
    message_ = "tpl::aggregate_exception: one or more errors occurred (" + std::to_string(inner_.size()) + ")";
    for (const std::exception_ptr& each : inner_) {
      try {
        std::rethrow_exception(each);
      } catch (const std::exception& error) {
        message_ += std::string("\n  ") + error.what();
      } catch (...) {
        message_ += "\n  (an exception not derived from std::exception)";
      }
    }
  }

  const char* what() const noexcept override { return message_.c_str(); }

  /// The exceptions, in the order they were collected.
  const std::vector<std::exception_ptr>& inner_exceptions() const noexcept { return inner_; }

  /// Nested aggregates replaced by their inner exceptions, recursively (.NET's Flatten()).
  aggregate_exception flatten() const {
    std::vector<std::exception_ptr> flat;
    append_flattened(inner_, flat);
    return aggregate_exception(std::move(flat));
  }

  /// Calls `handled` on each inner exception; those for which it returns false are rethrown
  /// together as a new aggregate_exception (.NET's Handle()). Returns normally if all handled.
  /// An empty predicate throws std::invalid_argument (.NET: ArgumentNullException), even when
  /// there is no inner exception to call it on.
  void handle(const std::function<bool(const std::exception_ptr&)>& handled) const {
    if (!handled) throw std::invalid_argument("tpl::aggregate_exception::handle: the predicate is empty");
    std::vector<std::exception_ptr> unhandled;
    for (const std::exception_ptr& each : inner_) {
      if (!handled(each)) unhandled.push_back(each);
    }
    if (!unhandled.empty()) throw aggregate_exception(std::move(unhandled));
  }

 private:
  static void append_flattened(const std::vector<std::exception_ptr>& from, std::vector<std::exception_ptr>& to) {
    for (const std::exception_ptr& each : from) {
      try {
        std::rethrow_exception(each);
      } catch (const aggregate_exception& nested) {
        append_flattened(nested.inner_, to);
      } catch (...) {
        to.push_back(each);
      }
    }
  }

  std::vector<std::exception_ptr> inner_;
  std::string message_;
};

/// The fault of a task whose task_completion_source was destroyed without completing it (like
/// std::future_errc::broken_promise). .NET would leave such a task incomplete for ever; here its
/// awaiters get this error instead of hanging.
class broken_promise : public invalid_operation {
 public:
  broken_promise()
      : invalid_operation("tpl::broken_promise: the task_completion_source was destroyed without completing its task") {}
};

}  // namespace tpl

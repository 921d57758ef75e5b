// tpl::aggregate_exception — .NET's AggregateException: several exceptions reported as one,
// by parallel loops (every body that threw) and, later, by blocking waits on tasks.
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tpl {

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

  // The exceptions, in the order they were collected.
  const std::vector<std::exception_ptr>& inner_exceptions() const noexcept { return inner_; }

  // Nested aggregates replaced by their inner exceptions, recursively (.NET's Flatten()).
  aggregate_exception flatten() const {
    std::vector<std::exception_ptr> flat;
    append_flattened(inner_, flat);
    return aggregate_exception(std::move(flat));
  }

  // Calls `handled` on each inner exception; those for which it returns false are rethrown
  // together as a new aggregate_exception (.NET's Handle()). Returns normally if all handled.
  // An empty predicate throws std::invalid_argument (.NET: ArgumentNullException), even when
  // there is no inner exception to call it on.
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

}  // namespace tpl

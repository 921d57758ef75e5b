// The token carried by the task_canceled that a canceled task reports through get(): fails the
// test (returns none()) if get() does not throw an aggregate holding a task_canceled.
#pragma once

#include <gtest/gtest.h>

#include "tpl/cancellation_token.hpp"
#include "tpl/task.hpp"

namespace tpl_test {

template <class T>
tpl::cancellation_token token_of_canceled(const tpl::task<T>& canceled) {
  try {
    canceled.get();
  } catch (const tpl::aggregate_exception& error) {
    try {
      std::rethrow_exception(error.inner_exceptions().at(0));
    } catch (const tpl::task_canceled& reported) {
      return reported.token();
    } catch (...) {
    }
  }
  ADD_FAILURE() << "get() did not throw an aggregate holding task_canceled";
  return {};
}

}  // namespace tpl_test

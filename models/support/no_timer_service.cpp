// For models that arm no timer (no delay(), no cancel_after()). A cancellation source's
// destructor names timer_service::instance() to disarm a cancel_after() deadline, so the symbol
// must exist; only a source with an armed deadline calls it, and reaching it here means the
// model armed a timer it never set up (model_timer sets one up): the model fails.
#include <cstdlib>

#include "tpl/detail/timer_service.hpp"

tpl::detail::timer_service& tpl::detail::timer_service::instance() {
  RL_ASSERT(!"this model has no timer service: it must not arm a timer");
  std::abort();
}

// Everything public in tpl, in one include.
#pragma once

#include "tpl/aggregate_exception.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/errors.hpp"
#include "tpl/operation_canceled.hpp"
#include "tpl/parallel.hpp"
#include "tpl/run.hpp"
#include "tpl/stop_token_interop.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/task_exceptions.hpp"
#include "tpl/task_status.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/unobserved_exceptions.hpp"
#include "tpl/yield.hpp"

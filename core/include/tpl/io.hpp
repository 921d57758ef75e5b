/// \file
/// `<tpl/io.hpp>` — asynchronous sockets and pipes as tasks (docs/io.md). Linux only.
#pragma once

#include "tpl/io/backend.hpp"
#include "tpl/io/end_of_stream.hpp"
#include "tpl/io/socket.hpp"
#include "tpl/io/stream.hpp"
#include "tpl/io/timeout.hpp"

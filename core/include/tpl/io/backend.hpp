/// \file
/// Which kernel interface tpl::io's driver uses: "io_uring" where the kernel allows it, else
/// "epoll" (docs/io.md). TPL_IO_BACKEND=epoll or =io_uring in the environment, read once at
/// first use, forces one. Starts the driver if it is not running yet.
#pragma once

namespace tpl::io {

[[nodiscard]] const char* backend_name();

}  // namespace tpl::io

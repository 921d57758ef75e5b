#include "detail/io_driver.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "tpl/io/backend.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::io::detail {

namespace {

std::unique_ptr<io_driver> start_driver() {
  const char* forced = std::getenv("TPL_IO_BACKEND");
  if (forced != nullptr && std::strcmp(forced, "epoll") == 0) return make_epoll_driver();
  if (forced != nullptr && std::strcmp(forced, "io_uring") == 0) return make_uring_driver();
  if (forced != nullptr && *forced != '\0') {
    throw std::invalid_argument(std::string("tpl::io: TPL_IO_BACKEND='") + forced + "': use epoll or io_uring");
  }
  try {
    return make_uring_driver();
  } catch (const std::system_error&) {
    return make_epoll_driver();  // io_uring refused (seccomp, io_uring_disabled, old kernel)
  }
}

}  // namespace

io_driver& io_driver::instance() {
  // The default pool first, so that the driver never has to start it from its own thread.
  (void)thread_pool::default_pool();
  // Never destroyed: the default pool drains its work from an atexit handler, after function
  // statics made later are gone, and that work (or a global stream) may still close streams,
  // which needs the driver. The thread ends with the process; the object stays reachable.
  static io_driver* const driver = start_driver().release();
  return *driver;
}

}  // namespace tpl::io::detail

namespace tpl::io {

const char* backend_name() { return detail::io_driver::instance().backend_name(); }

}  // namespace tpl::io

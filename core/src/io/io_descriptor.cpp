#include "detail/io_descriptor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "detail/io_driver.hpp"

namespace tpl::io::detail {

std::shared_ptr<io_descriptor> io_descriptor::adopt(int descriptor) {
  if (descriptor < 0) throw std::system_error(EBADF, std::system_category(), "tpl::io: not a descriptor");
  auto close_and_throw = [descriptor](const char* what) {
    const int error = errno;
    ::close(descriptor);
    throw std::system_error(error, std::system_category(), what);
  };
  const int flags = ::fcntl(descriptor, F_GETFL);
  if (flags < 0 || ::fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) != 0) close_and_throw("tpl::io: fcntl(O_NONBLOCK)");
  const int descriptor_flags = ::fcntl(descriptor, F_GETFD);
  if (descriptor_flags < 0 || ::fcntl(descriptor, F_SETFD, descriptor_flags | FD_CLOEXEC) != 0) {
    close_and_throw("tpl::io: fcntl(FD_CLOEXEC)");
  }
  struct stat status {};
  if (::fstat(descriptor, &status) != 0) close_and_throw("tpl::io: fstat");
  if (S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)) {
    // Always "ready" to the kernel's readiness interfaces (epoll refuses them with EPERM;
    // an io_uring poll would end at once): nothing to wait for, so both backends refuse.
    errno = EPERM;
    close_and_throw("tpl::io: a regular file or directory has no readiness to wait for");
  }
  std::shared_ptr<io_descriptor> adopted;
  try {
    io_driver& driver = io_driver::instance();  // may throw: no driver could start
    adopted = std::make_shared<io_descriptor>(descriptor, S_ISSOCK(status.st_mode));
    driver.watch(adopted);
  } catch (...) {
    ::close(descriptor);  // never watched, never shared: nobody else can be using it
    throw;
  }
  return adopted;
}

void io_descriptor::close() noexcept {
  // Wake waiters first: they find the slot closed and end with ECANCELED; a call that began
  // before close still holds the number, and the last of them closes it.
  read_slot_.close();
  write_slot_.close();
  if (lifetime_.ask_close()) {
    close_number();
    return;
  }
  // Calls still hold the number: among them, requests the kernel performs (io_uring), which
  // only a cancel ends. Asked after ask_close(), under the driver's submission lock, where a
  // request pins the number: either a request was queued before this cancel (and is canceled)
  // or its pin was refused. The last request's end closes the number.
  if (io_driver* driver = io_driver::instance_unless_inherited()) driver->cancel_operations_on(*this);
}

void io_descriptor::close_number() noexcept {
  // Deregister (and retire this state to the driver) before the number can be reused. In a
  // forked child the registration is the parent's (the same open file in the same epoll or
  // ring): deregistering would remove the parent's; closing the child's number is all it takes.
  if (io_driver* driver = io_driver::instance_unless_inherited()) driver->unwatch(shared_from_this());
  ::close(descriptor_);
}

}  // namespace tpl::io::detail

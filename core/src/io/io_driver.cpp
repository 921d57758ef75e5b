#include "detail/io_driver.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "tpl/detail/process_reactor.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/io/backend.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::io::detail {

namespace {

// Set in a child forked after the driver started. The child shares the parent's epoll instance
// or io_uring ring (the same open file, and for io_uring the same shared mapping) but not the
// parent's workers, which poll it: what it registered there would be reported to the parent,
// whose workers would dereference the child's pointers (issue 30, finding 1). Written only in the child, right after
// fork() (one thread then); never written in the parent, so its readers race with nothing.
bool inherited_by_fork = false;

void mark_inherited_by_fork() noexcept {
  inherited_by_fork = true;
  // The child's pools must not poll the parent's reactor either (an epoll_wait here would take
  // the parent's reports): to them, no reactor exists.
  tpl::detail::install_io_poller(nullptr);
}

std::unique_ptr<io_driver> start_driver(int interrupt_event) {
  const char* forced = std::getenv("TPL_IO_BACKEND");
  if (forced != nullptr && std::strcmp(forced, "epoll") == 0) return make_epoll_driver(interrupt_event);
  if (forced != nullptr && std::strcmp(forced, "io_uring") == 0) return make_uring_driver(interrupt_event);
  if (forced != nullptr && *forced != '\0') {
    throw std::invalid_argument(std::string("tpl::io: TPL_IO_BACKEND='") + forced + "': use epoll or io_uring");
  }
  // epoll unless io_uring is asked for: the io_uring backend is readiness-based (a multishot poll
  // per descriptor, then the operation's own recv/send), and the external benchmark measured it
  // at 1.4-2.7x epoll's CPU per request at 100 and 1,000 connections (docs/io.md). It becomes the
  // default when it performs the operations itself (the completion-based path, not done yet).
  return make_epoll_driver(interrupt_event);
}

}  // namespace

io_driver& io_driver::instance() {
  // Never destroyed: the default pool drains its work from an atexit handler, after function
  // statics made later are gone, and that work (or a global stream) may still close streams,
  // which needs the driver; and pool workers poll it. The object stays reachable.
  if (inherited_by_fork) {
    throw invalid_operation(
        "tpl::io: this process was forked from one whose I/O driver had started: that driver's epoll "
        "instance or io_uring ring (and its thread) belong to the parent, so tpl::io cannot be used "
        "here; use it in a child only after exec(), or fork before the parent first uses tpl::io");
  }
  // The default pool first, so that the driver never has to start it from its own thread.
  (void)thread_pool::default_pool();
  static io_driver* const driver = [] {
    // Before the driver exists: a fork from now on marks the child.
    if (const int error = ::pthread_atfork(nullptr, nullptr, &mark_inherited_by_fork); error != 0) {
      throw std::system_error(error, std::system_category(), "tpl::io: pthread_atfork");
    }
    tpl::detail::process_reactor& reactor = tpl::detail::process_reactor::instance();
    io_driver* started = start_driver(reactor.interrupt_event()).release();
    reactor.attach_io_backend(*started);  // from now on, the poller waits in it
    return started;
  }();
  return *driver;
}

io_driver* io_driver::instance_unless_inherited() noexcept {
  if (inherited_by_fork) return nullptr;
  return &instance();  // noexcept: a descriptor exists, so the driver already does
}

}  // namespace tpl::io::detail

namespace tpl::io {

const char* backend_name() { return detail::io_driver::instance().backend_name(); }

}  // namespace tpl::io

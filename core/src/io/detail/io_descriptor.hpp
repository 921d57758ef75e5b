// What the driver and a stream share about one descriptor: its number, the two readiness
// slots (read side, write side), and when the number may be closed. Shared-owned: the stream
// handle, every running operation and (until the driver has finished the epoll batch that may
// still name it) the driver's retired list each hold it.
#pragma once

#include <memory>

#include "tpl/detail/descriptor_lifetime.hpp"
#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::io::detail {

class epoll_driver;

class io_descriptor : public std::enable_shared_from_this<io_descriptor> {
 public:
  io_descriptor(int descriptor, bool is_socket) noexcept : descriptor_(descriptor), is_socket_(is_socket) {}
  io_descriptor(const io_descriptor&) = delete;
  io_descriptor& operator=(const io_descriptor&) = delete;

  // Takes the descriptor (made non-blocking, close-on-exec) and registers it with the driver;
  // closes it and throws std::system_error if the driver refuses it.
  static std::shared_ptr<io_descriptor> adopt(int descriptor);

  [[nodiscard]] int number() const noexcept { return descriptor_; }
  [[nodiscard]] bool is_socket() const noexcept { return is_socket_; }

  tpl::detail::io_operation_slot& read_side() noexcept { return read_slot_; }
  tpl::detail::io_operation_slot& write_side() noexcept { return write_slot_; }

  // Pins the number for one system call: false once close() was asked for.
  [[nodiscard]] bool begin_call() noexcept { return lifetime_.begin_call(); }
  // Unpins; closes the number if close() was asked for and this was the last call.
  void end_call() noexcept {
    if (lifetime_.end_call()) close_number();
  }
  // Wakes pending operations (closed), refuses new ones, closes the number when no call runs.
  void close() noexcept;
  [[nodiscard]] bool close_was_asked() const noexcept { return lifetime_.close_was_asked(); }

  // The driver's own record of this descriptor (io_uring: its poll registration), set by
  // watch() and read by unwatch(), both under the driver's lock.
  void* driver_record = nullptr;
  // The epoll driver's retired list (epoll_driver::unwatch, under its lock): a retired state
  // keeps itself alive until the driver has finished the batch that may still name it.
  std::shared_ptr<io_descriptor> retired_self;
  io_descriptor* next_retired = nullptr;

  // One pending operation per direction; the second concurrent one is misuse.

  // relaxed: a detector of overlapping calls, not a lock; the caller's own sequencing (it
  // awaited the previous operation) orders what the operations touch.
  [[nodiscard]] bool try_start_read() noexcept { return !reading_.exchange(true, std::memory_order_relaxed); }
  void finish_read() noexcept { reading_.store(false, std::memory_order_relaxed); }  // relaxed: as try_start_read
  // relaxed: as try_start_read.
  [[nodiscard]] bool try_start_write() noexcept { return !writing_.exchange(true, std::memory_order_relaxed); }
  void finish_write() noexcept { writing_.store(false, std::memory_order_relaxed); }  // relaxed: as try_start_read

 private:
  void close_number() noexcept;

  int descriptor_;
  bool is_socket_;
  tpl::detail::descriptor_lifetime lifetime_;
  tpl::detail::io_operation_slot read_slot_;
  tpl::detail::io_operation_slot write_slot_;
  sync::atomic<bool> reading_{false};
  sync::atomic<bool> writing_{false};
};

}  // namespace tpl::io::detail

#pragma once
// How another thread wakes an AMQP worker thread that sleeps in poll(2) on
// its broker socket: an eventfd in the same poll set, written only while the
// worker sleeps (or is about to): a busy worker finds the notification
// without two system calls.

#include <atomic>
#include <chrono>

namespace swpt::amqp {

class wakeup {
 public:
  wakeup();  // throws std::system_error
  ~wakeup();
  wakeup(const wakeup&) = delete;
  wakeup& operator=(const wakeup&) = delete;

  void notify() noexcept;  // from any thread

  // Sleeps until `socket_fd` (skipped when negative) is readable, notify()
  // was called, or `timeout` passed; returns at once when notify() was
  // called since the last wait. Consumes the notification. Returns whether
  // the socket has something to read (or an error or hang-up); false when
  // it did not look.
  bool wait(int socket_fd, std::chrono::milliseconds timeout) noexcept;

 private:
  int fd_;
  // Sequentially consistent, both: either wait() sees `pending_` or
  // notify() sees `sleeping_` and writes the eventfd.
  std::atomic<bool> pending_{false};
  std::atomic<bool> sleeping_{false};
};

}  // namespace swpt::amqp

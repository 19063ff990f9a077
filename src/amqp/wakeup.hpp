#pragma once
// How another thread wakes an AMQP worker thread that sleeps in poll(2) on
// its broker socket: an eventfd in the same poll set.

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
  // was called, or `timeout` passed. Consumes the notification. Returns
  // whether the socket has something to read (or an error or hang-up).
  bool wait(int socket_fd, std::chrono::milliseconds timeout) noexcept;

 private:
  int fd_;
};

}  // namespace swpt::amqp

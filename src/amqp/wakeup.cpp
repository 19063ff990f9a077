#include "amqp/wakeup.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace swpt::amqp {

wakeup::wakeup() : fd_{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)} {
  if (fd_ < 0) throw std::system_error{errno, std::generic_category(), "eventfd"};
}

wakeup::~wakeup() { ::close(fd_); }

void wakeup::notify() noexcept {
  pending_.store(true);
  if (!sleeping_.load()) return;  // it looks at pending_ before it sleeps
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow, and then a wakeup is pending anyway.
  [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
}

bool wakeup::wait(int socket_fd, std::chrono::milliseconds timeout) noexcept {
  sleeping_.store(true);
  if (pending_.exchange(false)) {
    sleeping_.store(false);
    return false;
  }
  pollfd fds[2] = {{fd_, POLLIN, 0}, {socket_fd, POLLIN, 0}};
  const int count = socket_fd >= 0 ? 2 : 1;
  const int rc = ::poll(fds, count, static_cast<int>(timeout.count()));
  sleeping_.store(false);
  // What notify() said during the sleep is what woke it.
  pending_.store(false);
  if (rc > 0 && (fds[0].revents & POLLIN) != 0) {
    std::uint64_t value;
    [[maybe_unused]] auto read = ::read(fd_, &value, sizeof value);
  }
  return rc > 0 && count == 2 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
}

}  // namespace swpt::amqp

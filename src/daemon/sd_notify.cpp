#include "daemon/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace swpt::daemon {
namespace {

std::optional<std::uint64_t> parse_unsigned(const char* text) noexcept {
  if (text == nullptr) return std::nullopt;
  const std::string_view s{text};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// sd_notify(3): the watchdog is meant for the process WATCHDOG_PID names
// (a wrapper such as a shell may have exec'd or forked us); unset means the
// main process, which is us.
std::optional<std::chrono::microseconds> our_watchdog(const char* usec, const char* pid) noexcept {
  const auto interval = parse_unsigned(usec);
  if (!interval || *interval == 0) return std::nullopt;
  // Beyond this the count of microseconds overflows a signed 64-bit
  // duration; systemd's own "infinity" is UINT64_MAX, which means no
  // watchdog.
  if (*interval > static_cast<std::uint64_t>(std::chrono::microseconds::max().count())) return std::nullopt;
  if (pid != nullptr) {
    const auto owner = parse_unsigned(pid);
    if (!owner || *owner != static_cast<std::uint64_t>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds{static_cast<std::chrono::microseconds::rep>(*interval)};
}

// A message's lines are KEY=VALUE; a free text with a newline would start a
// key of its own.
std::string one_line(std::string_view text) {
  std::string s{text};
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_{fd} {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace

notifier notifier::from_environment() {
  return from_environment([](const char* name) { return std::getenv(name); });
}

notifier notifier::from_environment(const std::function<const char*(const char*)>& getenv) {
  const char* socket = getenv("NOTIFY_SOCKET");
  // Only unix sockets: a path or an abstract name. Anything else (empty,
  // or the vsock: addresses of virtual machines) leaves us disabled.
  if (socket == nullptr || (socket[0] != '/' && socket[0] != '@')) return notifier{};
  return notifier{socket, our_watchdog(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"))};
}

notifier::notifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog)
    : socket_{std::move(socket_path)}, watchdog_{watchdog} {}

bool notifier::send(std::string_view state) const noexcept {
  if (!enabled() || state.empty()) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // An abstract name is not NUL-terminated: its length is the address's.
  if (socket_.size() > sizeof address.sun_path - (socket_[0] == '@' ? 0 : 1)) return false;
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());

  const fd_guard fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (fd.get() < 0) return false;
  // One datagram is one message: it arrives whole or not at all. Never
  // waits: the caller is the daemon's event loop, and a service manager (or
  // a test) that does not read must not stop it; a full socket drops it.
  ssize_t sent = -1;
  do {
    sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(&address),
                    length);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(state.size());
}

bool notifier::ready(std::string_view status) const noexcept {
  if (status.empty()) return send("READY=1");
  try {
    return send("READY=1\nSTATUS=" + one_line(status));
  } catch (...) {  // std::bad_alloc
    return false;
  }
}

bool notifier::reloading() const noexcept {
  // systemd matches MONOTONIC_USEC against its own CLOCK_MONOTONIC reading
  // to tell this reload from an earlier one.
  timespec now{};
  if (::clock_gettime(CLOCK_MONOTONIC, &now) != 0) return false;
  const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  char message[64];
  constexpr std::string_view prefix = "RELOADING=1\nMONOTONIC_USEC=";
  std::memcpy(message, prefix.data(), prefix.size());
  const auto [end, ec] = std::to_chars(message + prefix.size(), message + sizeof message, usec);
  if (ec != std::errc{}) return false;
  return send(std::string_view{message, static_cast<std::size_t>(end - message)});
}

bool notifier::stopping() const noexcept { return send("STOPPING=1"); }

bool notifier::status(std::string_view text) const noexcept {
  try {
    return send("STATUS=" + one_line(text));
  } catch (...) {  // std::bad_alloc
    return false;
  }
}

bool notifier::watchdog() const noexcept { return send("WATCHDOG=1"); }

}  // namespace swpt::daemon

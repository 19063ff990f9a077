#pragma once
// The systemd notification protocol (sd_notify(3)): one datagram per state
// change to the unix socket named by $NOTIFY_SOCKET (a leading '@' names an
// abstract socket). Without NOTIFY_SOCKET every call is a no-op, so the
// daemon calls it the same way under systemd, in a container or by hand.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::daemon {

class notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (the watchdog is
  // ours when WATCHDOG_PID is unset or our pid).
  static notifier from_environment();
  // The same with another source of the variables (tests): `getenv`
  // returns null for an unset variable, as std::getenv does.
  static notifier from_environment(const std::function<const char*(const char*)>& getenv);
  notifier() = default;  // disabled
  explicit notifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog = std::nullopt);

  bool enabled() const noexcept { return !socket_.empty(); }

  // Sends `state` ("READY=1\nSTATUS=..."): false when it could not be sent
  // (never throws, never waits: systemd going away or not reading must not
  // stop the daemon; a socket whose queue is full drops the message).
  bool send(std::string_view state) const noexcept;

  bool ready(std::string_view status = {}) const noexcept;
  // RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC, as systemd wants).
  bool reloading() const noexcept;
  bool stopping() const noexcept;
  bool status(std::string_view text) const noexcept;
  bool watchdog() const noexcept;  // WATCHDOG=1

  // WATCHDOG_USEC when the watchdog is ours: ping at half of it.
  std::optional<std::chrono::microseconds> watchdog_interval() const noexcept { return watchdog_; }

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace swpt::daemon

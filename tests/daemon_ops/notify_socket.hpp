#pragma once
// The test's end of the systemd notification protocol (sd_notify(3)): a
// datagram socket bound to a path, handed to a daemon as NOTIFY_SOCKET.
// Every datagram is kept, in arrival order, so a test can check the order
// of READY=1, RELOADING=1 and STOPPING=1.

#include "process.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swpt::e2e {

// One datagram: "KEY=VALUE" lines.
struct notification {
  std::vector<std::string> lines;
  std::chrono::steady_clock::time_point at;

  bool has(std::string_view line) const;                               // "READY=1"
  std::optional<std::string> value(std::string_view key) const;        // "MONOTONIC_USEC" -> "123"
  std::string text() const;                                            // the lines joined with '|'
};

class notify_socket {
 public:
  // Binds an AF_UNIX datagram socket at `path` (its directory must exist;
  // a leftover file there is removed first). Throws std::system_error.
  explicit notify_socket(std::filesystem::path path);
  ~notify_socket();
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // NOTIFY_SOCKET=<path>, for a child's environment.
  environment env() const { return {{"NOTIFY_SOCKET", path_.string()}}; }

  // Receives until a datagram from index `from` on has the line `line`
  // ("READY=1"), at most `limit`; returns its index in received().
  std::optional<std::size_t> wait_for(std::string_view line, duration limit, std::size_t from = 0);
  // Receives what has arrived by now, without waiting.
  void drain();

  const std::vector<notification>& received() const noexcept { return received_; }
  // Every datagram so far, one per line, for failure messages.
  std::string describe() const;

 private:
  bool receive(duration limit);  // one datagram, at most `limit`

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<notification> received_;
};

}  // namespace swpt::e2e

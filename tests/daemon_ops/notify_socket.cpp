#include "notify_socket.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace swpt::e2e {

bool notification::has(std::string_view line) const {
  for (const auto& l : lines)
    if (l == line) return true;
  return false;
}

std::optional<std::string> notification::value(std::string_view key) const {
  for (const auto& l : lines)
    if (l.size() > key.size() && l.starts_with(key) && l[key.size()] == '=') return l.substr(key.size() + 1);
  return std::nullopt;
}

std::string notification::text() const {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "|") + l;
  return out;
}

notify_socket::notify_socket(std::filesystem::path path) : path_{std::move(path)} {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string p = path_.string();
  if (p.size() >= sizeof a.sun_path)
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "notify socket path " + p);
  std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
  std::filesystem::remove(path_);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket(AF_UNIX, SOCK_DGRAM)");
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::generic_category(), "bind " + p);
  }
}

notify_socket::~notify_socket() {
  ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

bool notify_socket::receive(duration limit) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
  std::array<char, 4096> buf{};  // sd_notify states are a few lines
  const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0) return false;
  notification got{{}, std::chrono::steady_clock::now()};
  std::string_view rest{buf.data(), static_cast<std::size_t>(n)};
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    if (const auto line = rest.substr(0, end); !line.empty()) got.lines.emplace_back(line);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  received_.push_back(std::move(got));
  return true;
}

void notify_socket::drain() {
  while (receive(0ms)) {
  }
}

std::optional<std::size_t> notify_socket::wait_for(std::string_view line, duration limit, std::size_t from) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (std::size_t i = from;; ++i) {
    while (i >= received_.size()) {
      const auto left = std::chrono::duration_cast<duration>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !receive(left)) return std::nullopt;
    }
    if (received_[i].has(line)) return i;
  }
}

std::string notify_socket::describe() const {
  std::string out = fmt::format("{} notification(s) on {}:", received_.size(), path_.string());
  for (const auto& n : received_) out += "\n  " + n.text();
  return out;
}

}  // namespace swpt::e2e

#include "daemon/sd_notify.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace swpt::daemon {
namespace {

using namespace std::chrono_literals;
using variables = std::map<std::string, std::string>;

// The service manager's end: a datagram socket the test owns, bound to a
// path or to an abstract name ("@..."), as systemd's NOTIFY_SOCKET is.
class notify_socket {
 public:
  explicit notify_socket(std::string name) : name_{std::move(name)} {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error{"socket"};
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(name_.size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
      ::close(fd_);
      throw std::runtime_error{"bind " + name_ + ": " + std::strerror(errno)};
    }
  }
  ~notify_socket() { ::close(fd_); }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::string& name() const noexcept { return name_; }

  // The next datagram, or nothing within `bound`.
  std::optional<std::string> receive(std::chrono::milliseconds bound = 5s) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(bound.count())) != 1) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
};

std::string abstract_name() {
  static std::atomic<int> counter{0};
  return "@swpt-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

notifier from(const variables& vars) {
  return notifier::from_environment([&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

void check_messages(const notify_socket& socket) {
  const auto n = from({{"NOTIFY_SOCKET", socket.name()}});
  REQUIRE(n.enabled());

  CHECK(n.ready());
  CHECK(socket.receive() == "READY=1");
  CHECK(n.ready("2 peers, 3 clients"));
  CHECK(socket.receive() == "READY=1\nSTATUS=2 peers, 3 clients");
  CHECK(n.status("draining\npeer X"));
  CHECK(socket.receive() == "STATUS=draining peer X");
  CHECK(n.watchdog());
  CHECK(socket.receive() == "WATCHDOG=1");
  CHECK(n.stopping());
  CHECK(socket.receive() == "STOPPING=1");
  CHECK(n.send("EXTEND_TIMEOUT_USEC=1000000"));
  CHECK(socket.receive() == "EXTEND_TIMEOUT_USEC=1000000");
}

TEST_CASE("messages arrive at a socket named by a path", "[sd_notify]") {
  const fixtures::temp_dir dir{"swpt-notify"};
  const notify_socket socket{(dir.path() / "notify").string()};
  check_messages(socket);
}

TEST_CASE("messages arrive at an abstract socket", "[sd_notify]") {
  const notify_socket socket{abstract_name()};
  check_messages(socket);
}

TEST_CASE("RELOADING=1 carries the CLOCK_MONOTONIC time of the reload", "[sd_notify]") {
  const notify_socket socket{abstract_name()};
  const auto n = from({{"NOTIFY_SOCKET", socket.name()}});
  const auto before = monotonic_usec();
  REQUIRE(n.reloading());
  const auto after = monotonic_usec();
  const auto message = socket.receive();
  REQUIRE(message);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  REQUIRE(message->starts_with(prefix));
  const auto usec = std::stoull(message->substr(prefix.size()));
  CHECK(usec >= before);
  CHECK(usec <= after);
}

TEST_CASE("the daemon's reload sequence arrives in order", "[sd_notify]") {
  const notify_socket socket{abstract_name()};
  const auto n = from({{"NOTIFY_SOCKET", socket.name()}});
  REQUIRE(n.ready());
  REQUIRE(n.reloading());
  REQUIRE(n.ready());
  REQUIRE(n.stopping());
  CHECK(socket.receive() == "READY=1");
  CHECK(socket.receive().value_or("").starts_with("RELOADING=1\n"));
  CHECK(socket.receive() == "READY=1");
  CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("without NOTIFY_SOCKET every call is a no-op", "[sd_notify]") {
  for (const auto& n : {notifier{}, from({}), from({{"NOTIFY_SOCKET", ""}}), from({{"NOTIFY_SOCKET", "vsock:2:1234"}}),
                        from({{"WATCHDOG_USEC", "30000000"}})}) {
    CHECK_FALSE(n.enabled());
    CHECK_FALSE(n.ready("x"));
    CHECK_FALSE(n.reloading());
    CHECK_FALSE(n.stopping());
    CHECK_FALSE(n.status("x"));
    CHECK_FALSE(n.watchdog());
    CHECK_FALSE(n.watchdog_interval());
  }
}

TEST_CASE("a full socket drops the message rather than block the caller (the daemon's event loop)",
          "[sd_notify]") {
  // Nobody reads: the socket's queue fills (net.unix.max_dgram_qlen
  // datagrams, 10 by default), and a blocking send would wait for ever.
  const notify_socket socket{abstract_name()};
  const auto n = from({{"NOTIFY_SOCKET", socket.name()}});
  std::size_t refused = 0;
  for (int i = 0; i < 2000; ++i)
    if (!n.status("peers: " + std::to_string(i))) ++refused;
  CHECK(refused > 0);
  // What was queued is whole and in order.
  CHECK(socket.receive() == "STATUS=peers: 0");
}

TEST_CASE("a socket nobody listens on is reported, not thrown", "[sd_notify]") {
  const fixtures::temp_dir dir{"swpt-notify"};
  const auto gone = from({{"NOTIFY_SOCKET", (dir.path() / "gone").string()}});
  CHECK(gone.enabled());
  CHECK_FALSE(gone.ready());
  CHECK_FALSE(from({{"NOTIFY_SOCKET", abstract_name()}}).stopping());
  CHECK_FALSE(from({{"NOTIFY_SOCKET", "/" + std::string(200, 'x')}}).ready());
}

TEST_CASE("the watchdog interval is read from WATCHDOG_USEC", "[sd_notify]") {
  const std::string socket = abstract_name();
  const auto us = std::to_string(::getpid());
  const auto other = std::to_string(::getppid());

  CHECK(from({{"NOTIFY_SOCKET", socket}, {"WATCHDOG_USEC", "30000000"}}).watchdog_interval() == 30s);
  CHECK(from({{"NOTIFY_SOCKET", socket}, {"WATCHDOG_USEC", "1500"}, {"WATCHDOG_PID", us}}).watchdog_interval() ==
        1500us);
  CHECK(from({{"NOTIFY_SOCKET", socket}}).watchdog_interval() == std::nullopt);
  // Meant for another process (a wrapper that forked us).
  CHECK(from({{"NOTIFY_SOCKET", socket}, {"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", other}})
            .watchdog_interval() == std::nullopt);
  for (const char* bad : {"", "0", "-5", "12s", "1e6", " 100", "18446744073709551615", "99999999999999999999"}) {
    INFO("WATCHDOG_USEC=" << bad);
    CHECK(from({{"NOTIFY_SOCKET", socket}, {"WATCHDOG_USEC", bad}}).watchdog_interval() == std::nullopt);
  }
  for (const char* bad : {"", "abc", "-1"}) {
    INFO("WATCHDOG_PID=" << bad);
    CHECK(from({{"NOTIFY_SOCKET", socket}, {"WATCHDOG_USEC", "1000"}, {"WATCHDOG_PID", bad}}).watchdog_interval() ==
          std::nullopt);
  }
}

TEST_CASE("from_environment reads the process's own environment", "[sd_notify]") {
  const notify_socket socket{abstract_name()};
  ::setenv("NOTIFY_SOCKET", socket.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "2000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  const auto n = notifier::from_environment();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK(n.watchdog_interval() == 2s);
  CHECK(n.watchdog());
  CHECK(socket.receive() == "WATCHDOG=1");
  CHECK_FALSE(notifier::from_environment().enabled());
}

}  // namespace
}  // namespace swpt::daemon

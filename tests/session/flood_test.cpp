// A server that faces the internet under a flood from one address: 2,000
// TCP connections that never start TLS and 200 that send a ClientHello and
// stall, re-opened as the server closes them, all from 127.0.0.2, against
// our server running as a child process (swpt-test-stomp-server) with a
// soft descriptor limit of 1024. Real peers at 127.0.0.1 — one connected
// before the flood, one connecting during it — keep exchanging messages,
// and the server's descriptors and memory stay within its caps.
//
// The flood runs on a thread of its own with plain non-blocking sockets;
// the peers are probes on the test's io_context. Every wait is bounded.

#include "probe.hpp"

#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace swpt;
using namespace swpt::testing;

namespace {

constexpr std::size_t idle_connections = 2000;
constexpr std::size_t stalled_hellos = 200;
constexpr rlim_t server_descriptor_limit = 1024;
constexpr const char* flood_address = "127.0.0.2";

// The bytes of a TLS 1.3 ClientHello, made by a client that writes to memory.
std::string client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // wants to read the ServerHello: the ClientHello is written
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(size));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

// Keeps `idle` silent connections and `hellos` stalled handshakes open to
// 127.0.0.1:port from 127.0.0.2, re-opening each one the server closes.
class flood {
 public:
  flood(std::uint16_t port, std::size_t idle, std::size_t hellos)
      : port_{port}, hello_{client_hello()}, slots_(idle + hellos) {
    for (std::size_t i = idle; i < slots_.size(); ++i) slots_[i].hello = true;
    thread_ = std::thread{[this] { run(); }};
  }
  ~flood() {
    stop_ = true;
    thread_.join();
    for (auto& s : slots_)
      if (s.fd >= 0) ::close(s.fd);
  }
  flood(const flood&) = delete;
  flood& operator=(const flood&) = delete;

  std::size_t opened() const { return opened_; }
  std::size_t failures() const { return failures_; }

 private:
  struct slot {
    int fd = -1;
    bool hello = false;
    bool sent = false;
  };

  void open(slot& s) {
    s.sent = false;
    s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      ++failures_;
      return;
    }
    const int yes = 1;
    ::setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &yes, sizeof yes);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, flood_address, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        (::connect(s.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
      ++failures_;
      ::close(s.fd);
      s.fd = -1;
      return;
    }
    ++opened_;
  }

  void run() {
    std::vector<pollfd> polled(slots_.size());
    char scratch[4096];
    while (!stop_) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        if (s.fd < 0) open(s);
        polled[i] = {s.fd, static_cast<short>(POLLIN | (s.hello && !s.sent ? POLLOUT : 0)), 0};
      }
      if (::poll(polled.data(), polled.size(), 20) < 0) continue;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        const auto events = polled[i].revents;
        if (s.fd < 0 || events == 0) continue;
        bool closed = (events & (POLLERR | POLLHUP)) != 0;
        if (!closed && (events & POLLOUT) && !s.sent) {
          s.sent = ::send(s.fd, hello_.data(), hello_.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello_.size());
          closed = !s.sent;
        }
        if (!closed && (events & POLLIN)) {
          const auto n = ::recv(s.fd, scratch, sizeof scratch, 0);  // the server's flight: ignored
          closed = n == 0 || (n < 0 && errno != EAGAIN);
        }
        if (closed) {
          ::close(s.fd);
          s.fd = -1;
        }
      }
    }
  }

  std::uint16_t port_;
  std::string hello_;
  std::vector<slot> slots_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> opened_{0}, failures_{0};
  std::thread thread_;
};

// swpt-test-stomp-server for the AA, started with a soft descriptor limit
// of 1024; its log goes to a file.
class server_process {
 public:
  server_process(const fixtures::node& owner, const std::filesystem::path& log_file) {
    const char* exe = std::getenv("SWPT_TEST_STOMP_SERVER");
    REQUIRE(exe != nullptr);
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(log_fd >= 0);
    const std::string dir = owner.dir.string(), cert = owner.server_cert.string(), key = owner.server_key.string();
    const char* argv[] = {exe, dir.c_str(), cert.c_str(), key.c_str(), "0", nullptr};
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    limit.rlim_cur = server_descriptor_limit;

    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(log_fd, 2) < 0 ||
          ::setrlimit(RLIMIT_NOFILE, &limit) != 0)
        ::_exit(127);
      ::execv(exe, const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(log_fd);
    stdin_ = in[1];
    stdout_ = out[0];
    const auto line = read_line(std::chrono::seconds{20});
    REQUIRE(line.rfind("PORT ", 0) == 0);
    unsigned port = 0;
    std::from_chars(line.data() + 5, line.data() + line.size(), port);
    port_ = static_cast<std::uint16_t>(port);
  }

  ~server_process() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0 && !wait_for_exit(std::chrono::seconds{20})) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }

  std::size_t descriptors() const {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator{proc() / "fd", ec}; !ec && it != decltype(it){};
         it.increment(ec))
      ++n;
    return n;
  }

  std::size_t rss_kib() const {
    std::ifstream status{proc() / "status"};
    std::string key;
    std::size_t value = 0;
    while (status >> key) {
      if (key == "VmRSS:" && status >> value) return value;
      status.ignore(4096, '\n');
    }
    return 0;
  }

  // Ends the server (stdin EOF) and waits, at most `limit`, for it to exit.
  bool end(std::chrono::steady_clock::duration limit) {
    ::close(std::exchange(stdin_, -1));
    return wait_for_exit(limit);
  }

 private:
  std::filesystem::path proc() const { return std::filesystem::path{"/proc"} / std::to_string(pid_); }

  std::string read_line(std::chrono::steady_clock::duration limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string line;
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (::read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }

  bool wait_for_exit(std::chrono::steady_clock::duration limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    // waitpid has no timeout: poll the child's state (the pipe to its
    // stdout closes when it exits).
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      pollfd p{stdout_, POLLIN, 0};
      ::poll(&p, 1, 50);
      char scratch[256];
      if (p.revents & POLLIN) (void)::read(stdout_, scratch, sizeof scratch);
    }
    return false;
  }

  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::uint16_t port_ = 0;
};

// Raises this process's soft descriptor limit so it can hold the flood.
bool room_for_flood() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  limit.rlim_cur = limit.rlim_max;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0 &&
         (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= idle_connections + stalled_hellos + 1000);
}

std::size_t count_lines(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// A CA connection exchanging one message per round with the server.
struct peer {
  explicit peer(tls_probe p) : probe{std::move(p)} {}

  tls_probe probe;
  int next = 1;
  std::string sent_receipt;

  void send_one() {
    sent_receipt = std::to_string(next);
    probe.send(send_frame(sent_receipt, prepare_transfer_body(next)));
    ++next;
  }
  bool receipted() const { return probe.received().find(receipt_frame(sent_receipt)) != std::string::npos; }
};

}  // namespace

TEST_CASE("peers keep talking while one address floods the server", "[session][flood]") {
  if (!room_for_flood()) {
    WARN("the hard descriptor limit is too low for the flood");
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  network net;
  server_process server{net.trio.aa, net.dir.path() / "server.log"};
  asio::io_context io;
  auto run_until = [&](const std::function<bool()>& done) { return testing::run_until(io, done, 30s); };

  peer before{tls_probe::connect(io, server.port(), net.client_probe_context(net.trio.ca, net.trio.aa))};
  before.probe.send(connect_frame());
  before.send_one();
  REQUIRE(run_until([&] { return before.receipted(); }));
  const auto rss_before = server.rss_kib();

  flood attack{server.port(), idle_connections, stalled_hellos};
  // In full swing: the server has closed thousands of the flood's connections.
  // The flood thread's progress wakes nothing on `io`: look every 20 ms.
  const auto flood_deadline = std::chrono::steady_clock::now() + 30s;
  while (attack.opened() <= 3 * (idle_connections + stalled_hellos) &&
         std::chrono::steady_clock::now() < flood_deadline)
    io.run_for(20ms);
  REQUIRE(attack.opened() > 3 * (idle_connections + stalled_hellos));

  const auto flooding_since = std::chrono::steady_clock::now();
  peer during{tls_probe::connect(io, server.port(), net.client_probe_context(net.trio.ca, net.trio.aa))};
  during.probe.send(connect_frame());
  std::size_t max_descriptors = 0, max_rss = 0;
  // Rounds for longer than the handshake timeout, so that the server also
  // cuts off stalled handshakes and the flood re-opens them.
  const auto flood_until = flooding_since + session::timing{}.handshake_timeout + 1s;
  for (int round = 0; round < 5 || std::chrono::steady_clock::now() < flood_until; ++round) {
    before.send_one();
    during.send_one();
    REQUIRE(run_until([&] { return before.receipted() && during.receipted(); }));
    REQUIRE_FALSE(before.probe.ended());
    REQUIRE_FALSE(during.probe.ended());
    max_descriptors = std::max(max_descriptors, server.descriptors());
    max_rss = std::max(max_rss, server.rss_kib());
    // Pacing, not synchronization: a message per peer every 50 ms keeps the
    // test sink (which stores every message) from growing the server.
    io.run_for(50ms);
  }
  const std::size_t flood_opened = attack.opened();
  using std::chrono::duration_cast, std::chrono::milliseconds;
  const auto exchanging = std::chrono::steady_clock::now() - flooding_since;
  INFO("flood in full swing after " << duration_cast<milliseconds>(flooding_since - started).count()
                                    << " ms, exchanges took " << duration_cast<milliseconds>(exchanging).count()
                                    << " ms");
  INFO("flood connections opened: " << flood_opened << ", failed to open: " << attack.failures());
  INFO("server descriptors at most " << max_descriptors << ", VmRSS " << rss_before << " KiB before, at most "
                                     << max_rss << " KiB during");

  // Its pending handshakes from one address, two peers, and what the
  // process holds anyway (standard streams, epoll, timers, the listener).
  const session::server_settings defaults;
  CHECK(max_descriptors < defaults.max_pending_handshakes_per_address + 2 + 40);
  CHECK(max_rss < rss_before + 16 * 1024);

  before.probe.close();
  during.probe.close();
  CHECK(run_until([&] { return before.probe.ended() && during.probe.ended(); }));
  CHECK(server.end(20s));
  // Thousands of failed handshakes and refusals, a handful of lines.
  const auto lines = count_lines(net.dir.path() / "server.log");
  INFO("server log lines: " << lines);
  CHECK(lines < 50);
  // To read what the server said: SWPT_TEST_KEEP_LOG=<file>.
  if (const char* keep = std::getenv("SWPT_TEST_KEEP_LOG"))
    std::filesystem::copy_file(net.dir.path() / "server.log", keep, std::filesystem::copy_options::overwrite_existing);
}

// STOMP sessions over mutual TLS 1.3 on loopback, with an in-memory sink
// that confirms at once and an in-memory source:
//  (a) messages per second through one client-to-server connection (buffer
//      100, then 1000), the server and the clients each on a thread of its own;
//  (b) the same through 50 parallel connections;
//  (c) resident memory per idle connection: 1000 TLS STOMP connections whose
//      sources yield nothing, once with the clients in a forked child (the
//      server's share alone, and the clients' share measured in the child),
//      once with both ends in this process (a connection pair).
// Every message is a ~400-byte PrepareTransfer that the server validates and
// re-emits, as it would for RabbitMQ.
//
// Usage: session_bench [--messages N] [--idle N] [--only a|b|c] [--one-thread]
// (--one-thread runs the throughput cases with server and clients on a
// single io_context and thread). Build with --buildtype=release.

#include "harness.hpp"

#include "session/connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using namespace swpt;
using clock_type = std::chrono::steady_clock;

// Thousands of handshakes on one thread take longer than the production
// handshake and CONNECT timeouts allow.
session::timing patient() {
  session::timing t;
  t.handshake_timeout = 120s;
  t.connect_timeout = 120s;
  return t;
}

// Resident set size of this process in KiB (VmRSS).
long rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

// Resident memory and the heap's live bytes. `trimmed` is the RSS after
// malloc_trim(0) has given free pages back: concurrent handshakes leave a
// peak of freed memory that glibc keeps, and which a server whose peers
// connect one by one never reaches.
struct memory_snapshot {
  long rss = 0, trimmed = 0;  // KiB
  long heap = 0;              // KiB allocated and not freed (every arena)
};

memory_snapshot snapshot() {
  memory_snapshot m;
  m.rss = rss_kib();
  const auto info = mallinfo2();
  m.heap = static_cast<long>((info.uordblks + info.hblkhd) / 1024);
  malloc_trim(0);
  m.trimmed = rss_kib();
  return m;
}

std::string growth(const memory_snapshot& a, const memory_snapshot& b, std::size_t count, std::string_view unit) {
  const auto per = [&](long x, long y) { return static_cast<double>(y - x) / static_cast<double>(count); };
  return fmt::format("RSS {} -> {} KiB = {:.1f} KiB per {}; after malloc_trim {} -> {} KiB = {:.1f} KiB per {}; "
                     "live heap {:.1f} KiB per {}",
                     a.rss, b.rss, per(a.rss, b.rss), unit, a.trimmed, b.trimmed, per(a.trimmed, b.trimmed), unit,
                     per(a.heap, b.heap), unit);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// Confirms every message at once; only counts.
class counting_sink final : public session::message_sink {
 public:
  asio::awaitable<void> submit(publication, confirm_handler confirmed) override {
    count_.fetch_add(1, std::memory_order_relaxed);
    confirmed({});
    co_return;
  }
  std::size_t count() const { return count_.load(); }

 private:
  std::atomic<std::size_t> count_{0};
};

// Holds every source back until all connections are CONNECTED, so that the
// handshakes are not part of the measured time.
class start_gate {
 public:
  start_gate(asio::any_io_executor ex, std::size_t expected)
      : timer_{ex, asio::steady_timer::time_point::max()}, expected_{expected} {}

  asio::awaitable<void> pass() {
    if (++arrived_ == expected_) {
      start_ = clock_type::now();
      timer_.cancel();
    }
    while (arrived_ < expected_) co_await timer_.async_wait(session::nothrow);
  }
  clock_type::time_point start() const { return start_; }

 private:
  asio::steady_timer timer_;
  std::size_t expected_, arrived_ = 0;
  clock_type::time_point start_;
};

// Yields `count` messages with bodies taken in turn from `bodies`; records
// when the last confirmation came.
class generating_source final : public session::message_source {
 public:
  generating_source(const std::vector<std::string>& bodies, std::size_t count, start_gate& gate)
      : bodies_{bodies}, count_{count}, gate_{gate} {}

  asio::awaitable<std::optional<session::outgoing_message>> next() override {
    if (sent_ == 0) co_await gate_.pass();
    if (sent_ == count_) co_return std::nullopt;
    ++sent_;
    co_return session::outgoing_message{std::to_string(sent_), "PrepareTransfer", bodies_[sent_ % bodies_.size()]};
  }
  void confirm(std::string_view id) override {
    last_ = clock_type::now();
    last_id_ = id;
  }

  bool all_confirmed() const { return last_id_ == std::to_string(count_); }
  clock_type::time_point last() const { return last_; }

 private:
  const std::vector<std::string>& bodies_;
  std::size_t count_;
  start_gate& gate_;
  std::size_t sent_ = 0;
  std::string last_id_;
  clock_type::time_point last_;
};

// Never yields a message until closed; counts itself as connected when first
// asked (the client asks only after CONNECTED).
class idle_source final : public session::message_source {
 public:
  idle_source(asio::any_io_executor ex, std::size_t& connected) : wake_{ex}, connected_{connected} {}

  asio::awaitable<std::optional<session::outgoing_message>> next() override {
    if (!std::exchange(counted_, true)) ++connected_;
    while (!closed_) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(session::nothrow);
    }
    co_return std::nullopt;
  }
  void confirm(std::string_view) override {}
  void close() {
    closed_ = true;
    wake_.cancel();
  }

 private:
  asio::steady_timer wake_;
  std::size_t& connected_;
  bool counted_ = false;
  bool closed_ = false;
};

// The AA's server, with its own io_context.
struct bench_server {
  asio::io_context io;
  asio::thread_pool files{1};
  std::shared_ptr<asio::ssl::context> tls;
  session::node_directory directory;
  counting_sink sink;
  session::server server;
  std::thread thread;
  std::atomic<bool> served = false;

  bench_server(const testing::network& net, session::server_settings settings)
      : tls{std::make_shared<asio::ssl::context>(net.server_context(net.trio.aa))},
        directory{nodedata::database{net.trio.aa.dir}, files.get_executor()},
        server{io.get_executor(), tls, [&] {
                 settings.port = 0;
                 settings.max_connections_per_peer = 100'000;
                 // One address opens every connection at once: the caps for
                 // a server facing the internet would close all but ten.
                 settings.max_pending_handshakes = 100'000;
                 settings.max_pending_handshakes_per_address = 100'000;
                 settings.backlog = 4096;
                 settings.times = patient();
                 return settings;
               }(),
               directory, sink} {
    server.listen();
    asio::co_spawn(io, server.serve(), [this](std::exception_ptr e) {
      served = true;
      if (e) std::rethrow_exception(e);
    });
  }

  void run_on_thread() {
    thread = std::thread{[this] { io.run(); }};
  }

  std::size_t connections() {
    if (!thread.joinable()) return server.connection_count();
    std::promise<std::size_t> n;
    asio::post(io, [&] { n.set_value(server.connection_count()); });
    return n.get_future().get();
  }

  void stop() {
    asio::post(io, [this] {
      asio::co_spawn(io, server.stop(1s), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    });
    if (thread.joinable()) {
      thread.join();  // run() returns once every session has ended
    } else {
      while (!served) io.run_one();  // the stop is bounded
    }
    files.join();
  }
};

std::vector<std::string> typical_bodies() {
  std::vector<std::string> bodies;
  for (std::int64_t i = 1; i <= 1000; ++i) bodies.push_back(testing::prepare_transfer_body(i));
  return bodies;
}

// (a) and (b): `connections` clients send `per_connection` messages each.
void throughput(const testing::network& net, std::size_t connections, std::size_t per_connection,
                std::size_t buffer, bool one_thread) {
  session::server_settings server_settings;
  server_settings.buffer = buffer;
  bench_server srv{net, server_settings};
  asio::io_context own_client_io;
  asio::io_context& io = one_thread ? srv.io : own_client_io;
  if (!one_thread) srv.run_on_thread();

  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  const auto target = net.target(net.trio.ca, net.trio.aa, srv.server.port());
  session::client_settings settings;
  settings.buffer = buffer;
  settings.times = patient();
  const auto bodies = typical_bodies();

  std::vector<std::unique_ptr<generating_source>> sources;
  start_gate gate{io.get_executor(), connections};
  std::size_t finished = 0, completed = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    sources.push_back(std::make_unique<generating_source>(bodies, per_connection, gate));
    asio::co_spawn(io, session::run_client(tls, target, settings, *sources.back()),
                   [&](std::exception_ptr e, session::client_outcome o) {
                     ++finished;
                     if (!e && o.kind == session::client_end::finished) ++completed;
                   });
  }
  const auto deadline = clock_type::now() + 600s;
  std::optional<double> cpu_before;  // at the start: handshakes are not counted
  while (finished < connections && clock_type::now() < deadline) {
    io.run_one_until(deadline);
    if (!cpu_before && gate.start() != clock_type::time_point{}) cpu_before = cpu_seconds();
  }
  const double cpu = cpu_seconds() - cpu_before.value_or(0);
  srv.stop();

  const auto first = gate.start();
  auto last = clock_type::time_point::min();
  std::size_t confirmed = 0;
  for (const auto& s : sources) {
    last = std::max(last, s->last());
    confirmed += s->all_confirmed() ? 1 : 0;
  }
  const auto total = connections * per_connection;
  const double seconds = std::chrono::duration<double>(last - first).count();
  fmt::print("throughput: {} connection(s), buffer {}, {}: {} messages in {:.3f} s = {:.0f} msg/s; "
             "cpu {:.2f} s = {:.2f} us/msg; completed {}/{}, fully receipted {}/{}, sink {}\n",
             connections, buffer, one_thread ? "one thread" : "server and clients on 2 threads", total, seconds,
             static_cast<double>(total) / seconds, cpu, cpu * 1e6 / static_cast<double>(total), completed, connections,
             confirmed, connections, srv.sink.count());
  std::fflush(stdout);
}

// The clients of the idle measurement, on an io_context of their own.
class idle_fleet {
 public:
  idle_fleet(const testing::network& net, std::uint16_t port, std::size_t count)
      : tls_{net.client_context(net.trio.ca, net.trio.aa)}, target_{net.target(net.trio.ca, net.trio.aa, port)} {
    settings_.times = patient();
    for (std::size_t i = 0; i < count; ++i) sources_.push_back(std::make_unique<idle_source>(io_.get_executor(), connected_));
  }

  // Connects every client; true once all are CONNECTED.
  bool connect_all(clock_type::duration limit) {
    for (auto& s : sources_)
      asio::co_spawn(io_, session::run_client(tls_, target_, settings_, *s),
                     [this](std::exception_ptr, session::client_outcome) { ++finished_; });
    const auto deadline = clock_type::now() + limit;
    while (connected_ < sources_.size() && finished_ == 0 && clock_type::now() < deadline) io_.run_one_until(deadline);
    return connected_ == sources_.size();
  }

  // Ends every client gracefully.
  void finish(clock_type::duration limit) {
    for (auto& s : sources_) s->close();
    const auto deadline = clock_type::now() + limit;
    while (finished_ < sources_.size() && clock_type::now() < deadline) io_.run_one_until(deadline);
  }

 private:
  asio::io_context io_;
  session::client_tls tls_;
  session::client_target target_;
  session::client_settings settings_;
  std::vector<std::unique_ptr<idle_source>> sources_;
  std::size_t connected_ = 0;
  std::size_t finished_ = 0;
};

void settle() { std::this_thread::sleep_for(500ms); }  // let the last writes and frees happen

// (c), clients in a forked child: the parent's growth is the server's
// share; the child reports the clients' share of its own.
void idle_memory_split(const testing::network& net, std::size_t count) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) throw std::runtime_error("pipe failed");
  // Fork before any thread exists (bench_server starts one).
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    std::uint16_t port = 0;
    if (read(to_child[0], &port, sizeof port) != sizeof port) _exit(1);
    bool ok = false;
    {
      idle_fleet fleet{net, port, count};
      const auto before = snapshot();
      ok = fleet.connect_all(300s);
      settle();
      const auto after = snapshot();
      fmt::print("idle memory, client side (in the child): {}\n", growth(before, after, count, "connection"));
      std::fflush(stdout);
      const char line[] = "ready\n";
      (void)!write(to_parent[1], line, sizeof line - 1);
      char c;
      while (read(to_child[0], &c, 1) > 0) {
      }
      fleet.finish(60s);
    }
    _exit(ok ? 0 : 1);  // not exit(): the parent owns the temp dir and the rest
  }
  close(to_child[0]);
  close(to_parent[1]);

  bench_server srv{net, {}};
  srv.run_on_thread();
  settle();
  const auto before = snapshot();
  const auto port = srv.server.port();
  (void)!write(to_child[1], &port, sizeof port);
  char c;
  while (read(to_parent[0], &c, 1) == 1 && c != '\n') {
  }
  const std::size_t connections = srv.connections();
  settle();
  const auto after = snapshot();
  close(to_child[1]);  // the child ends its clients
  int status = 0;
  waitpid(child, &status, 0);
  close(to_parent[0]);
  srv.stop();
  fmt::print("idle memory, server side (clients in a forked child, {} of {} connected, child {}): {}\n", connections,
             count, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "FAILED",
             growth(before, after, count, "connection"));
  std::fflush(stdout);
}

// (c), both ends in one process: growth per connection pair. Runs in a
// forked child, so that neither the trio nor an earlier case has left
// freed memory behind for it to reuse.
void idle_memory_pair(const testing::network& net, std::size_t count) {
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child > 0) {
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fmt::print("idle memory, pair: the child FAILED\n");
    return;
  }
  bool ok = false;
  {
    bench_server srv{net, {}};
    srv.run_on_thread();
    std::promise<bool> connected;
    std::promise<void> go_finish;
    settle();
    const auto before = snapshot();
    std::thread clients{[&] {
      idle_fleet fleet{net, srv.server.port(), count};
      connected.set_value(fleet.connect_all(300s));
      go_finish.get_future().wait();
      fleet.finish(60s);
    }};
    ok = connected.get_future().get();
    const auto connections = srv.connections();
    settle();
    const auto after = snapshot();
    go_finish.set_value();
    clients.join();
    srv.stop();
    fmt::print("idle memory, client and server in one process ({} of {} connected): {}\n", connections, count,
               growth(before, after, count, "connection pair"));
    std::fflush(stdout);
  }
  _exit(ok ? 0 : 1);
}

std::size_t parse_count(const char* text) {
  std::size_t n = 0;
  const std::string_view s{text};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || end != s.data() + s.size() || n == 0) throw std::invalid_argument(fmt::format("bad number {}", s));
  return n;
}

}  // namespace

int main(int argc, char** argv) try {
  std::size_t messages = 200'000;
  std::size_t idle = 1000;
  std::string only = "abc";
  bool one_thread = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--messages" && i + 1 < argc) messages = parse_count(argv[++i]);
    else if (arg == "--idle" && i + 1 < argc) idle = parse_count(argv[++i]);
    else if (arg == "--only" && i + 1 < argc) only = argv[++i];
    else if (arg == "--one-thread") one_thread = true;
    else {
      fmt::print(stderr, "usage: session_bench [--messages N] [--idle N] [--only a|b|c] [--one-thread]\n");
      return 2;
    }
  }
  raise_fd_limit();
  log::configure(log::stdout_sink(log::format::text), log::level::error);
  const testing::network net;  // one trio for every case

  if (only.find('c') != std::string::npos) {
    // First: these fork, so no thread may exist yet.
    idle_memory_pair(net, idle);
    idle_memory_split(net, idle);
  }
  if (only.find('a') != std::string::npos) {
    throughput(net, 1, messages, 100, one_thread);
    throughput(net, 1, messages, 1000, one_thread);
  }
  if (only.find('b') != std::string::npos) {
    throughput(net, 50, messages / 50, 100, one_thread);
    throughput(net, 50, messages / 50, 1000, one_thread);
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "session_bench: {}\n", e.what());
  return 1;
}

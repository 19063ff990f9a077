// STOMP sessions over mutual TLS 1.3 on loopback, between stand-ins for
// the AMQP bridge that hand messages over as amqp::consumer and
// amqp::publisher do (below), so that the sessions batch as in production:
//  (a) one client-to-server connection (buffer 100, then 1000; the consumer's
//      prefetch and the publisher's queue the same), the server and the
//      client each on a thread of its own: msg/s, and per message each
//      thread's CPU, system calls and sleeps (voluntary context switches);
//      before it, the client side's SMP work alone;
//  (b) the same through 50 parallel connections;
//  (c) resident memory per idle connection: 1000 TLS STOMP connections whose
//      sources yield nothing, once with the clients in a forked child (the
//      server's share alone, and the clients' share measured in the child),
//      once with both ends in this process (a connection pair).
// Every message is a ~400-byte PrepareTransfer that the server validates and
// re-emits, as it would for RabbitMQ.
//
// What (a) means: "session layer per message ... total" is the CPU that
// TLS, STOMP and the server's SMP check and transform (process_received)
// cost per message on the two session threads: swpt-client's and
// swpt-server's io_context threads in bench/e2e, handing off to the AMQP
// workers included. The client's SMP check and translation runs on the
// consumer's worker thread in production and is shown apart ("client-side
// SMP"). So bench/e2e's server + client CPU per message, minus that total,
// minus the client-side SMP, is the AMQP side to compare with
// bench/amqp_pipe. The stand-ins' own threads are shown apart too (they
// do far less than the real workers: no broker, no AMQP frames); they are
// woken as the AMQP workers are (amqp::wakeup), so that the session threads
// pay what they pay in production to hand over.
//
// Each measured thread has a name, so that `perf record -g` then `perf
// report --sort comm` splits the costs: session_bench (the clients),
// sb-server, sb-consumer, sb-publisher. System calls are counted with
// perf_event_open (the raw_syscalls:sys_enter tracepoint, root or a low
// perf_event_paranoid); "?" where the kernel refuses. Without that,
// `perf stat -e raw_syscalls:sys_enter session_bench --only a` gives the
// process's total.
//
// Usage: session_bench [--messages N] [--idle N] [--only a|b|c] [--one-thread]
// (--one-thread runs the throughput cases with server and clients on a
// single io_context and thread). Build with --buildtype=release.

#include "harness.hpp"

#include "amqp/wakeup.hpp"

#include "session/connection.hpp"
#include "session/node_directory.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
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

// What one thread has used so far: CPU seconds (its own clock), system
// calls (the raw_syscalls:sys_enter tracepoint, counted with
// perf_event_open where the kernel allows it) and voluntary context
// switches (how often it slept).
struct thread_usage {
  double cpu = 0;
  std::optional<std::uint64_t> syscalls;
  long sleeps = 0;
};

class thread_meter {
 public:
  thread_meter(pthread_t thread, pid_t tid) : tid_{tid} {
    if (pthread_getcpuclockid(thread, &clock_) != 0) throw std::runtime_error("no CPU clock for a thread");
    counter_ = open_syscall_counter(tid);
  }
  ~thread_meter() {
    if (counter_ >= 0) close(counter_);
  }
  thread_meter(const thread_meter&) = delete;
  thread_meter& operator=(const thread_meter&) = delete;

  thread_usage read() const {
    thread_usage u;
    timespec t{};
    clock_gettime(clock_, &t);
    u.cpu = static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
    std::uint64_t n = 0;
    if (counter_ >= 0 && ::read(counter_, &n, sizeof n) == sizeof n) u.syscalls = n;
    std::ifstream status{fmt::format("/proc/self/task/{}/status", tid_)};
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with("voluntary_ctxt_switches:")) u.sleeps = std::stol(line.substr(24));
    return u;
  }

 private:
  static int open_syscall_counter(pid_t tid) {
    static const long id = [] {
      for (const char* path : {"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
                               "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"}) {
        std::ifstream f{path};
        long v = -1;
        if (f >> v) return v;
      }
      return -1L;
    }();
    if (id < 0) return -1;
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = static_cast<std::uint64_t>(id);
    return static_cast<int>(syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
  }

  pid_t tid_;
  clockid_t clock_{};
  int counter_ = -1;
};

// A thread's usage over the measured window, per message.
struct per_message {
  double cpu_us = 0;
  std::optional<double> syscalls;
  double sleeps = 0;
};

per_message share(const thread_usage& before, const thread_usage& after, std::size_t messages) {
  const auto n = static_cast<double>(messages);
  per_message p{(after.cpu - before.cpu) * 1e6 / n, std::nullopt,
                static_cast<double>(after.sleeps - before.sleeps) / n};
  if (before.syscalls && after.syscalls) p.syscalls = static_cast<double>(*after.syscalls - *before.syscalls) / n;
  return p;
}

std::string describe(std::string_view name, const per_message& p) {
  return fmt::format("{} {:.2f} us, {} syscalls, {:.3f} sleeps", name, p.cpu_us,
                     p.syscalls ? fmt::format("{:.2f}", *p.syscalls) : std::string{"?"}, p.sleeps);
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// How long a stand-in's worker sleeps at most before it looks again (it is
// woken at once by what it waits for).
constexpr std::chrono::milliseconds idle_wait{1000};

// The sink and the source below stand in for the AMQP bridge as it behaves
// in production, so that the sessions run as they do there: messages become
// available in batches from another thread, and confirmations come back in
// batches from another thread. Their threads are not the session layer's
// CPU and are reported apart.

// Stands in for amqp::publisher: a queue of at most `capacity` messages to a
// worker thread of its own. The first message of a batch wakes the worker,
// posted behind the session's current work as the publisher does; the
// worker takes everything queued at once and confirms it from its thread,
// as the broker's basic.ack (multiple) makes the publisher do. A full queue
// makes submit() wait until the worker has taken some.
class confirming_sink final : public session::message_sink {
 public:
  confirming_sink(asio::any_io_executor ex, std::size_t capacity)
      : capacity_{std::max<std::size_t>(capacity, 1)},
        space_{std::move(ex), asio::steady_timer::time_point::max()},
        thread_{[this] { work(); }} {}
  ~confirming_sink() override {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    wake_.notify();
    thread_.join();
  }

  asio::awaitable<void> submit(publication message, confirm_handler confirmed) override {
    for (;;) {
      bool queued = false, first = false;
      {
        std::lock_guard lock{mutex_};
        if (queued_.size() < capacity_) {
          queued_.push_back({std::move(message), std::move(confirmed)});
          queued = true;
          first = queued_.size() == 1;
        } else {
          full_ = true;
        }
      }
      if (queued) {
        if (first) asio::post(space_.get_executor(), [this] { ring(); });
        co_return;
      }
      co_await space_.async_wait(session::nothrow);
      const auto state = co_await asio::this_coro::cancellation_state;  // not in the condition (GCC 12)
      if (state.cancelled() != asio::cancellation_type::none)
        throw std::system_error{asio::error::operation_aborted, "submit"};
    }
  }

  std::size_t count() const { return count_.load(); }
  pthread_t native_handle() { return thread_.native_handle(); }
  pid_t worker_tid() const {
    tid_.wait(0);
    return tid_.load();
  }

 private:
  struct job {
    publication message;
    confirm_handler confirmed;
  };

  void ring() { wake_.notify(); }

  void work() {
    pthread_setname_np(pthread_self(), "sb-publisher");
    tid_ = gettid();
    tid_.notify_all();
    for (;;) {
      std::vector<job> batch;
      bool was_full = false;
      wake_.wait(-1, idle_wait);
      {
        std::lock_guard lock{mutex_};
        if (stopping_) return;
        batch.assign(std::make_move_iterator(queued_.begin()), std::make_move_iterator(queued_.end()));
        queued_.clear();
        was_full = std::exchange(full_, false);
        // What comes from now on is a new batch, with a ring of its own.
      }
      if (was_full) asio::post(space_.get_executor(), [this] { space_.cancel(); });
      for (auto& j : batch) j.confirmed({});
      count_ += batch.size();
    }
  }

  const std::size_t capacity_;
  asio::steady_timer space_;  // the sessions' executor only; never expires
  std::mutex mutex_;
  amqp::wakeup wake_;
  std::vector<job> queued_;  // guarded by mutex_
  bool full_ = false;        // guarded by mutex_
  bool stopping_ = false;    // guarded by mutex_
  std::atomic<std::size_t> count_{0};
  std::atomic<pid_t> tid_{0};
  std::thread thread_;  // last: starts once the rest exists
};

// Holds every source back until all connections are CONNECTED, so that the
// handshakes are not part of the measured time.
class start_gate {
 public:
  start_gate(asio::any_io_executor ex, std::size_t expected)
      : timer_{ex, asio::steady_timer::time_point::max()}, expected_{expected} {}

  // `on_start` runs once, when the last connection arrives.
  asio::awaitable<void> pass() {
    if (++arrived_ == expected_) {
      start_ = clock_type::now();
      if (on_start) on_start();
      timer_.cancel();
    }
    while (arrived_ < expected_) co_await timer_.async_wait(session::nothrow);
  }
  clock_type::time_point start() const { return start_; }
  std::function<void()> on_start;

 private:
  asio::steady_timer timer_;
  std::size_t expected_, arrived_ = 0;
  clock_type::time_point start_;
};

class delivery_feed;

// Stands in for the worker thread of amqp::consumer's pool: a feed whose
// session acknowledged messages is refilled from this thread, as the
// broker delivers up to the prefetch count after a basic.ack.
class delivery_worker {
 public:
  delivery_worker() : thread_{[this] { work(); }} {}
  ~delivery_worker() {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    wake_.notify();
    thread_.join();
  }
  void notify(delivery_feed* feed) {
    bool first = false;
    {
      std::lock_guard lock{mutex_};
      first = to_refill_.empty();
      to_refill_.push_back(feed);
    }
    if (first) wake_.notify();
  }
  pthread_t native_handle() { return thread_.native_handle(); }
  pid_t tid() const {
    tid_.wait(0);
    return tid_.load();
  }

 private:
  void work();

  std::mutex mutex_;
  amqp::wakeup wake_;
  std::vector<delivery_feed*> to_refill_;  // guarded by mutex_
  bool stopping_ = false;                  // guarded by mutex_
  std::atomic<pid_t> tid_{0};
  std::thread thread_;  // last: starts once the rest exists
};

// Stands in for amqp::consumer: `count` messages with bodies taken in turn
// from `bodies`, at most `prefetch` of them unacknowledged (basic.qos). The
// worker hands out a batch under one lock and rings the session's doorbell
// once if next() waits; a confirmation acknowledges everything up to its
// id and asks the worker for more. Starts at the gate.
class delivery_feed final : public session::message_source {
 public:
  delivery_feed(asio::any_io_executor ex, const std::vector<std::string>& bodies, std::size_t count,
                std::size_t prefetch, start_gate& gate, delivery_worker& worker)
      : bodies_{bodies},
        count_{count},
        prefetch_{prefetch},
        gate_{gate},
        worker_{worker},
        doorbell_{std::move(ex), 1} {}

  asio::awaitable<std::optional<session::outgoing_message>> next() override {
    if (!started_) {
      co_await gate_.pass();
      started_ = true;
      worker_.notify(this);
    }
    for (;;) {
      {
        std::lock_guard lock{mutex_};
        if (!ready_.empty()) co_return take();
        if (handed_out_ == count_) co_return std::nullopt;
        waiting_ = true;
      }
      co_await doorbell_.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
      const auto state = co_await asio::this_coro::cancellation_state;  // not in the condition (GCC 12)
      if (state.cancelled() != asio::cancellation_type::none)
        throw std::system_error{asio::error::operation_aborted, "waiting for a message"};
    }
  }

  std::optional<session::outgoing_message> try_next() override {
    std::lock_guard lock{mutex_};
    if (ready_.empty()) return std::nullopt;
    return take();
  }

  void confirm(std::string_view id) override {
    std::size_t tag = 0;
    std::from_chars(id.data(), id.data() + id.size(), tag);
    last_ = clock_type::now();
    last_tag_ = tag;
    {
      std::lock_guard lock{mutex_};
      acked_ = std::max(acked_, tag);
    }
    worker_.notify(this);
  }

  // The worker's side: up to `prefetch` unacknowledged messages.
  void refill() {
    std::size_t from = 0, to = 0;
    {
      std::lock_guard lock{mutex_};
      from = handed_out_;
      to = std::min(acked_ + prefetch_, count_);
    }
    if (to <= from) return;
    std::vector<session::outgoing_message> batch;
    batch.reserve(to - from);
    for (auto tag = from + 1; tag <= to; ++tag)
      batch.push_back({std::to_string(tag), "PrepareTransfer", bodies_[tag % bodies_.size()]});
    bool wake = false;
    {
      std::lock_guard lock{mutex_};
      for (auto& m : batch) ready_.push_back(std::move(m));
      handed_out_ = to;
      wake = std::exchange(waiting_, false);
    }
    if (wake) doorbell_.try_send(asio::error_code{}, true);  // false: a ring is pending already
  }

  bool all_confirmed() const { return last_tag_ == count_; }
  clock_type::time_point last() const { return last_; }

 private:
  session::outgoing_message take() {  // with mutex_ held
    auto m = std::move(ready_.front());
    ready_.pop_front();
    return m;
  }

  const std::vector<std::string>& bodies_;
  const std::size_t count_, prefetch_;
  start_gate& gate_;
  delivery_worker& worker_;
  asio::experimental::concurrent_channel<void(asio::error_code, bool)> doorbell_;
  bool started_ = false;  // the session's thread only
  std::size_t last_tag_ = 0;
  clock_type::time_point last_;
  std::mutex mutex_;
  std::deque<session::outgoing_message> ready_;  // guarded by mutex_
  std::size_t handed_out_ = 0, acked_ = 0;       // guarded by mutex_
  bool waiting_ = false;                         // guarded by mutex_
};

void delivery_worker::work() {
  pthread_setname_np(pthread_self(), "sb-consumer");
  tid_ = gettid();
  tid_.notify_all();
  for (;;) {
    std::vector<delivery_feed*> feeds;
    wake_.wait(-1, idle_wait);
    {
      std::lock_guard lock{mutex_};
      if (stopping_) return;
      feeds.swap(to_refill_);
    }
    for (auto* f : feeds) f->refill();
  }
}

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
  confirming_sink sink;
  session::server server;
  std::thread thread;
  std::atomic<pid_t> thread_id = 0;
  std::atomic<bool> served = false;

  bench_server(const testing::network& net, session::server_settings settings)
      : tls{std::make_shared<asio::ssl::context>(net.server_context(net.trio.aa))},
        directory{nodedata::database{net.trio.aa.dir}, files.get_executor()},
        sink{io.get_executor(), settings.buffer},
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
    std::promise<void> started;
    thread = std::thread{[this, &started] {
      pthread_setname_np(pthread_self(), "sb-server");
      thread_id = gettid();
      started.set_value();
      io.run();
    }};
    started.get_future().wait();
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

  std::vector<std::unique_ptr<delivery_feed>> sources;
  delivery_worker feeder;  // before the feeds go: it refers to them
  start_gate gate{io.get_executor(), connections};

  // Every thread's usage from the start (all CONNECTED) to the end.
  const thread_meter client_meter{pthread_self(), gettid()};
  std::optional<thread_meter> server_meter;
  if (!one_thread) server_meter.emplace(srv.thread.native_handle(), srv.thread_id.load());
  const thread_meter feeder_meter{feeder.native_handle(), feeder.tid()};
  const thread_meter sink_meter{srv.sink.native_handle(), srv.sink.worker_tid()};
  struct usage {
    thread_usage client, server, feeder, sink;
  };
  auto read_all = [&] {
    return usage{client_meter.read(), server_meter ? server_meter->read() : thread_usage{}, feeder_meter.read(),
                 sink_meter.read()};
  };
  std::optional<usage> before;
  gate.on_start = [&] { before = read_all(); };

  std::size_t finished = 0, completed = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    sources.push_back(std::make_unique<delivery_feed>(io.get_executor(), bodies, per_connection, buffer, gate, feeder));
    asio::co_spawn(io, session::run_client(tls, target, settings, *sources.back()),
                   [&](std::exception_ptr e, session::client_outcome o) {
                     ++finished;
                     if (!e && o.kind == session::client_end::finished) ++completed;
                   });
  }
  const auto deadline = clock_type::now() + 600s;
  while (finished < connections && clock_type::now() < deadline) io.run_one_until(deadline);
  const auto after = read_all();
  srv.stop();
  if (!before) throw std::runtime_error("the clients never all connected");

  const auto first = gate.start();
  auto last = clock_type::time_point::min();
  std::size_t confirmed = 0;
  for (const auto& s : sources) {
    last = std::max(last, s->last());
    confirmed += s->all_confirmed() ? 1 : 0;
  }
  const auto total = connections * per_connection;
  const double seconds = std::chrono::duration<double>(last - first).count();
  const auto client = share(before->client, after.client, total);
  const auto server = share(before->server, after.server, total);
  const auto feeding = share(before->feeder, after.feeder, total);
  const auto sinking = share(before->sink, after.sink, total);
  fmt::print("throughput: {} connection(s), buffer {}, {}: {} messages in {:.3f} s = {:.0f} msg/s; "
             "completed {}/{}, fully receipted {}/{}, sink {}\n",
             connections, buffer, one_thread ? "one thread" : "server and clients on 2 threads", total, seconds,
             static_cast<double>(total) / seconds, completed, connections, confirmed, connections, srv.sink.count());
  if (one_thread) {
    fmt::print("  session layer per message: {}\n", describe("client and server thread", client));
  } else {
    fmt::print("  session layer per message: {}; {}; total {:.2f} us\n", describe("client thread", client),
               describe("server thread", server), client.cpu_us + server.cpu_us);
  }
  fmt::print("  stand-ins per message (not the session layer): {}; {}\n", describe("consumer thread", feeding),
             describe("publisher thread", sinking));
  std::fflush(stdout);
}

// The client side's SMP work, which production does on the consumer's
// thread (amqp::prepare_for) rather than on the session's: the check and
// translation of each message for the peer, on this thread alone.
void client_smp(const testing::network& net, std::size_t count) {
  const nodedata::database db{net.trio.ca.dir};
  const auto ctx = session::make_peer_context(db.read_owner(), db.find_peer(net.trio.aa.id, false).value());
  // The typical bodies are in the server's numbering; the client's queue
  // holds them in its own.
  std::vector<std::string> bodies;
  for (std::int64_t n = 1; n <= 1000; ++n) {
    const std::int64_t theirs = 0x0000010000000000 + n;
    const auto ours = ctx.peer_creditors.translate(theirs, ctx.owner_creditors);
    if (!ours) throw std::runtime_error("the trio's creditor IDs do not translate");
    auto body = testing::prepare_transfer_body(n);
    for (auto at = body.find(std::to_string(theirs)); at != std::string::npos; at = body.find(std::to_string(theirs)))
      body.replace(at, std::to_string(theirs).size(), std::to_string(*ours));
    bodies.push_back(std::move(body));
  }
  const thread_meter meter{pthread_self(), gettid()};
  const auto before = meter.read();
  std::size_t failed = 0;
  std::string reason;
  for (std::size_t i = 0; i < count; ++i) {
    auto body = process_outgoing(ctx, json_content_type, "PrepareTransfer", bodies[i % bodies.size()]);
    if (!body && failed++ == 0) reason = body.error();
  }
  const auto p = share(before, meter.read(), count);
  fmt::print("client-side SMP (process_outgoing, the consumer's thread in production): {:.2f} us/msg over {} "
             "messages{}\n",
             p.cpu_us, count, failed ? fmt::format("; {} FAILED: {}", failed, reason) : std::string{});
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
    client_smp(net, messages);
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

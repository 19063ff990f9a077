#include "daemon/run.hpp"

#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "async/task_group.hpp"
#include "daemon/node_scan.hpp"
#include "daemon/node_watch.hpp"
#include "daemon/sd_notify.hpp"
#include "daemon/settings.hpp"
#include "daemon/supervisor.hpp"
#include "daemon/unit_registry.hpp"
#include "daemon/units.hpp"
#include "log/describe.hpp"
#include "nodedata/database_url.hpp"
#include "session/node_directory.hpp"
#include "session/open_files.hpp"
#include "session/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <csignal>
#include <memory>
#include <optional>
#include <vector>

namespace swpt::daemon {
namespace {

constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// How often start-up looks whether the publisher has connected.
constexpr std::chrono::milliseconds connected_poll{100};
// The threads for rabbitmq-c's blocking calls (activations, a drainer's
// look at its queue): a few, so one slow broker call does not hold the rest.
constexpr std::size_t blocking_threads = 2;
// Client connects and TLS handshakes at once (docs/daemon.md §2): enough
// to keep slow peers' handshakes overlapping (128 of 300 ms each: 1,000
// peers in under 3 s; bench/daemon's slow stand-in peers start no later
// than without a bound, where 64 took 3 s longer), few enough that their
// buffers (~30 KiB each, ~4 MiB together) stay a small part of the heap.
constexpr std::size_t client_handshakes = 128;

// The server's admissions read a peer's files when it connects, and cache
// them: a few threads keep one slow read (NFS) from holding the others. A
// thread per CPU times five, as upstream, was 20 and more idle threads on
// a small machine (docs/configuration.md).
constexpr std::size_t default_file_read_threads = 4;

std::size_t file_read_threads(const config& c) {
  return c.server.file_read_threads != 0 ? c.server.file_read_threads : default_file_read_threads;
}

std::string listener_name(const listener& l) {
  return l.address.empty() ? fmt::format("port {}", l.port) : fmt::format("{} port {}", l.address, l.port);
}

// The parts of a reloaded configuration that only a restart applies: they
// keep their running values, and a line says so.
std::vector<std::string> keep_restart_only(config& next, const config& running) {
  std::vector<std::string> kept;
  auto keep = [&](auto& field, const auto& now, std::string_view key) {
    if (!(field == now)) kept.emplace_back(key);
    field = now;
  };
  keep(next.node_database, running.node_database, "node_database");
  keep(next.broker.url, running.broker.url, "broker.url");
  keep(next.broker.consumer_connections, running.broker.consumer_connections, "broker.consumer_connections");
  keep(next.broker.channels_per_connection, running.broker.channels_per_connection, "broker.channels_per_connection");
  keep(next.server.enabled, running.server.enabled, "server.enabled");
  keep(next.server.listeners, running.server.listeners, "server.listen");
  keep(next.server.buffer, running.server.buffer, "server.buffer");
  keep(next.server.backlog, running.server.backlog, "server.backlog");
  keep(next.server.max_connections, running.server.max_connections, "server.max_connections");
  keep(next.server.max_connections_per_peer, running.server.max_connections_per_peer,
       "server.max_connections_per_peer");
  keep(next.server.file_read_threads, running.server.file_read_threads, "server.file_read_threads");
  keep(next.http_listen, running.http_listen, "http_listen");
  return kept;
}

// One process's daemon: built in run(), driven by body() on one io_context.
// Members are declared in the order their lifetimes nest: the consumers
// (in the supervisor's units) end before the pool, the sessions before
// the publisher, and the threads are joined before the io_context goes.
class daemon_process {
 public:
  daemon_process(asio::io_context& io, loaded_config initial, std::function<loaded_config()> reload,
                 node_scanner scanner, node_view first)
      : io_{io},
        reload_{std::move(reload)},
        current_{std::make_shared<const config>(std::move(initial.values))},
        scanner_{std::move(scanner)},
        view_{std::move(first)},
        terminate_{io, SIGINT, SIGTERM},
        hangup_{io, SIGHUP},
        file_reads_{file_read_threads(*current_)},
        blocking_{blocking_threads},
        directory_{nodedata::database{scanner_.root()}, file_reads_.get_executor(), directory_settings(*current_)},
        publisher_{io.get_executor(), publishing(*current_)},
        pool_{consumer_connections(*current_)},
        env_{io.get_executor(), pool_, publisher_, registry_, blocking_.get_executor(), current_, handshakes_},
        notifier_{notifier::from_environment()},
        limit_{io},
        watchdog_{io},
        services_{io.get_executor(), logger_} {}

  // Throws when a listener cannot be bound or the certificate is unusable.
  void listen();
  asio::awaitable<int> body();

 private:
  asio::awaitable<void> serve(session::server& s);
  asio::awaitable<void> until_ready();
  asio::awaitable<void> scan_loop();
  asio::awaitable<void> finish();
  void rescan();
  void peer_changed(const std::string& id, bool disconnect);
  void wait_for_termination();
  void wait_for_hangup();
  void begin_shutdown();
  void abort_all(std::string_view why);
  void reload();
  void reload_certificate(const config& c);
  void watchdog();
  void status();

  asio::io_context& io_;
  std::function<loaded_config()> reload_;
  log::logger logger_{"swpt_stomp.daemon"};
  std::shared_ptr<const config> current_;
  node_scanner scanner_;
  node_view view_;  // the last good scan

  asio::signal_set terminate_, hangup_;  // before any thread starts
  asio::thread_pool file_reads_, blocking_;
  session::node_directory directory_;
  amqp::publisher publisher_;
  amqp::consumer_pool pool_;
  unit_registry registry_;
  session::handshake_gate handshakes_{client_handshakes};
  unit_environment env_;
  std::vector<std::unique_ptr<session::server>> servers_;
  std::unique_ptr<supervisor> supervisor_;
  std::unique_ptr<node_watcher> watcher_;
  notifier notifier_;
  asio::steady_timer limit_, watchdog_;
  std::string last_status_, last_scan_error_;
  bool stopping_ = false, aborted_ = false, replace_watcher_ = false;
  async::task_group services_;  // the servers' loops and their stops; last
};

void daemon_process::listen() {
  const auto& c = *current_;
  if (!c.server.enabled) return;
  auto tls = server_tls(c, directory_.owner().root_ca_pem);
  for (const auto& l : c.server.listeners) {
    auto s = std::make_unique<session::server>(io_.get_executor(), tls, server_settings_for(c, l), directory_,
                                               publisher_);
    try {
      s->listen();
    } catch (const std::system_error&) {
      std::throw_with_nested(std::runtime_error{fmt::format("Cannot listen on {}", listener_name(l))});
    }
    servers_.push_back(std::move(s));
  }
}

asio::awaitable<int> daemon_process::body() {
  supervisor_ = std::make_unique<supervisor>(
      env_, scanner_.root(), directory_.owner(),
      [this](const std::string& id, bool disconnect) { peer_changed(id, disconnect); }, [this] { rescan(); });
  watcher_ = std::make_unique<node_watcher>(io_.get_executor(), scanner_.root(), current_->rescan_interval);
  wait_for_termination();
  wait_for_hangup();
  for (auto& s : servers_) services_.spawn(serve(*s), "a STOMP server");
  watchdog();
  supervisor_->reconcile(view_);
  std::vector<std::string> ids;
  for (const auto& [id, peer] : view_.peers) ids.push_back(id);
  watcher_->watch_peers(ids);
  co_await until_ready();
  co_await scan_loop();
  co_await finish();
  co_return 0;
}

asio::awaitable<void> daemon_process::serve(session::server& s) {
  bool failed = false;
  try {
    co_await s.serve();
  } catch (const std::exception& e) {
    logger_.error("A STOMP server stopped accepting connections: {}", log::describe(e));
    failed = true;
  }
  if (failed) co_await s.stop(finish_grace(*current_));  // its sessions refer to it: they end first
}

// READY=1 once the listeners are bound (listen() did that) and the
// publisher is connected; the consumers connect on their own.
asio::awaitable<void> daemon_process::until_ready() {
  asio::steady_timer poll{io_};
  bool said = false;
  const auto since = std::chrono::steady_clock::now();
  while (!stopping_ && !publisher_.connected()) {
    if (!said && std::chrono::steady_clock::now() - since > current_->broker.connection_timeout) {
      logger_.warning("Waiting for the broker at {}.", mask_password(current_->broker.url));
      said = true;
    }
    poll.expires_after(connected_poll);
    co_await poll.async_wait(nothrow);
  }
  if (stopping_) co_return;
  last_status_ = registry_.summary();
  logger_.info("Ready: {} STOMP listener(s), the broker connected; {}.", servers_.size(), last_status_);
  notifier_.ready(last_status_);
}

asio::awaitable<void> daemon_process::scan_loop() {
  while (!stopping_) {
    try {
      co_await watcher_->due();
    } catch (const std::system_error&) {
      if (stopping_) break;
      if (!std::exchange(replace_watcher_, false)) throw;
      watcher_ = std::make_unique<node_watcher>(io_.get_executor(), scanner_.root(), current_->rescan_interval);
      watcher_->rescan();
      continue;
    }
    try {
      view_ = scanner_.scan();
      if (!last_scan_error_.empty()) logger_.info("The node database can be read again.");
      last_scan_error_.clear();
    } catch (const std::exception& e) {
      // The last view stays: nothing is stopped for a passing failure.
      if (const auto why = log::describe(e); why != last_scan_error_) {
        logger_.error("Scanning the node database failed; the last scan stays in force: {}", why);
        last_scan_error_ = why;
      }
      continue;
    }
    supervisor_->reconcile(view_);
    std::vector<std::string> ids;
    for (const auto& [id, peer] : view_.peers) ids.push_back(id);
    watcher_->watch_peers(ids);
    status();
  }
}

// After the first signal: the servers and the peers' units end (the
// supervisor's graceful stop was started by begin_shutdown), then the
// broker workers.
asio::awaitable<void> daemon_process::finish() {
  co_await supervisor_->wait();
  co_await services_.wait();
  limit_.cancel();
  watchdog_.cancel();
  co_await pool_.stop();
  co_await publisher_.stop();
  logger_.info("Stopped.");
}

void daemon_process::rescan() {
  if (watcher_ && !stopping_) watcher_->rescan();
}

void daemon_process::peer_changed(const std::string& id, bool disconnect) {
  directory_.forget(id);  // the next connection reads its files again
  if (!disconnect) return;
  for (auto& s : servers_) s->disconnect_peer(id);
}

void daemon_process::wait_for_termination() {
  terminate_.async_wait([this](const std::error_code& ec, int number) {
    if (ec) return;
    const auto name = number == SIGINT ? "SIGINT" : "SIGTERM";
    if (stopping_) {
      logger_.warning("Received {} signal while exiting. Exiting at once.", name);
      abort_all("");
      return;
    }
    logger_.warning("Received {} signal. Exiting...", name);
    begin_shutdown();
    wait_for_termination();
  });
}

void daemon_process::wait_for_hangup() {
  hangup_.async_wait([this](const std::error_code& ec, int) {
    if (ec) return;
    if (!stopping_) reload();
    wait_for_hangup();
  });
}

// Stop accepting, stop watching, every unit ends gracefully; everything
// within timeouts.shutdown, after which what still runs ends at once.
void daemon_process::begin_shutdown() {
  stopping_ = true;
  notifier_.stopping();
  watcher_->close();
  const auto grace = finish_grace(*current_);
  for (auto& s : servers_) services_.spawn(s->stop(grace), "stopping a STOMP server");
  supervisor_->shutdown();
  limit_.expires_after(current_->timeouts.shutdown);
  limit_.async_wait([this](std::error_code ec) {
    if (!ec) abort_all("The graceful end takes too long. Exiting at once.");
  });
}

void daemon_process::abort_all(std::string_view why) {
  if (std::exchange(aborted_, true)) return;
  if (!why.empty()) logger_.warning("{}", why);
  for (auto& s : servers_) s->abort();
  supervisor_->abort();
}

// SIGHUP: the configuration and the server's certificate again. What can
// change live does so (units started from now on, and each unit's next
// attempt, use the new settings); what needs a restart keeps its running
// value and is named in a log line.
void daemon_process::reload() {
  notifier_.reloading();
  logger_.info("Received SIGHUP signal: reloading the configuration.");
  std::optional<loaded_config> next;
  try {
    next = reload_();
  } catch (const std::exception& e) {
    logger_.error("The configuration was not reloaded; the running one stays: {}", log::describe(e));
  }
  if (next) {
    auto values = std::move(next->values);
    const auto kept = keep_restart_only(values, *current_);
    if (!kept.empty())
      logger_.warning("Changes to {} take effect only after a restart.", fmt::format("{}", fmt::join(kept, ", ")));
    const bool interval_changed = values.rescan_interval != current_->rescan_interval;
    log::set_threshold(values.logging.level);
    current_ = std::make_shared<const config>(std::move(values));
    env_.current = current_;
    if (interval_changed) {
      replace_watcher_ = true;
      watcher_->close();
    }
    logger_.info("The configuration was reloaded.");
  }
  reload_certificate(*current_);
  rescan();
  notifier_.ready(registry_.summary());
}

void daemon_process::reload_certificate(const config& c) {
  if (servers_.empty()) return;
  try {
    auto tls = server_tls(c, directory_.owner().root_ca_pem);
    for (auto& s : servers_) s->set_tls_context(tls);
    logger_.info("Reloaded the server certificate {}: new connections use it.", c.server.certificate);
  } catch (const std::exception& e) {
    logger_.error("The server certificate was not reloaded; the running one stays: {}", log::describe(e));
  }
}

// WATCHDOG=1 at half of WATCHDOG_USEC, from the event loop itself: a loop
// that hangs stops the pings.
void daemon_process::watchdog() {
  const auto interval = notifier_.watchdog_interval();
  if (!interval) return;
  notifier_.watchdog();
  watchdog_.expires_after(*interval / 2);
  watchdog_.async_wait([this](std::error_code ec) {
    if (!ec) watchdog();
  });
}

void daemon_process::status() {
  auto now = registry_.summary();
  if (now == last_status_) return;
  last_status_ = std::move(now);
  notifier_.status(last_status_);
}

int start_and_run(loaded_config initial, std::function<loaded_config()> reload, const log::logger& logger) {
  if (const auto files = session::raise_open_files_limit(); files.error.empty())
    logger.info("{}", session::open_files_message(files));
  else
    logger.warning("{}", session::open_files_message(files));
  node_scanner scanner{nodedata::parse_database_url(initial.values.node_database)};
  node_view first;
  try {
    first = scanner.scan();
  } catch (const std::exception& e) {
    logger.error("The node database cannot be read: {}", log::describe(e));
    return 1;
  }
  logger.info("The node database at {} has {} peers.", scanner.root().string(), first.peers.size());

  asio::io_context io{1};
  daemon_process daemon{io, std::move(initial), std::move(reload), std::move(scanner), std::move(first)};
  daemon.listen();
  std::optional<int> status;
  std::exception_ptr failure;
  asio::co_spawn(io, daemon.body(), [&](std::exception_ptr e, int result) {
    failure = e;
    status = result;
  });
  // Not run(): the broker workers keep `io` busy while their objects live.
  while (!status && io.run_one() > 0) {
  }
  if (failure) std::rethrow_exception(failure);
  return status.value_or(1);
}

}  // namespace

int run(loaded_config initial, std::function<loaded_config()> reload) {
  const log::logger logger{"swpt_stomp.daemon"};
  try {
    return start_and_run(std::move(initial), std::move(reload), logger);
  } catch (const std::exception& e) {
    logger.error("{}", log::describe(e));
    return 1;
  }
}

}  // namespace swpt::daemon

#pragma once
// What the session tests share: in-memory stand-ins for the AMQP bridge (a
// sink and a source), a node database trio with real certificates, TLS
// contexts made from it, and a bounded io_context run.

#include "fixtures.hpp"
#include "session/client.hpp"
#include "session/node_directory.hpp"
#include "session/server.hpp"
#include "session/tls.hpp"

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace swpt::testing {

using namespace std::chrono_literals;

// Stores what it is given. By default every message is confirmed at once,
// from another thread as the AMQP bridge would; with `manual` the test
// confirms (or fails) them with confirm_next().
class memory_sink final : public session::message_sink {
 public:
  explicit memory_sink(bool manual = false);
  ~memory_sink() override;

  asio::awaitable<void> submit(publication message, confirm_handler confirmed) override;

  // Manual mode: confirms the oldest unconfirmed message with `ec`.
  void confirm_next(std::error_code ec = {});
  std::size_t unconfirmed() const;
  std::vector<publication> received() const;
  std::size_t count() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Yields the given messages in order, then ends (or, with `hold_open`,
// waits until close_source()). Records what the peer confirmed.
class memory_source final : public session::message_source {
 public:
  explicit memory_source(asio::any_io_executor ex, std::vector<session::outgoing_message> messages,
                         bool hold_open = false);

  asio::awaitable<std::optional<session::outgoing_message>> next() override;
  std::optional<session::outgoing_message> try_next() override;
  void confirm(std::string_view id) override;

  void close_source();
  const std::vector<std::string>& confirmations() const noexcept { return confirmed_; }
  std::size_t sent() const noexcept { return next_; }

 private:
  std::vector<session::outgoing_message> messages_;
  std::size_t next_ = 0;
  bool hold_open_;
  asio::steady_timer wake_;
  std::vector<std::string> confirmed_;
};

// A valid PrepareTransfer from the trio's CA to its AA, in the AA's
// numbering (creditor 0x0000010000000000 + n), as the server receives it.
std::string prepare_transfer_body(std::int64_t n);
std::vector<session::outgoing_message> ca_messages(std::size_t count);

// The trio of fixtures::make_trio under a fresh directory, ports chosen by
// the kernel; TLS contexts from its files.
struct network {
  fixtures::temp_dir dir;
  fixtures::trio trio;

  network();
  asio::ssl::context server_context(const fixtures::node& n) const;
  // The client's for run_client, and the same as one context for probes.
  session::client_tls client_context(const fixtures::node& self, const fixtures::node& peer) const;
  asio::ssl::context client_probe_context(const fixtures::node& self, const fixtures::node& peer) const;
  session::client_target target(const fixtures::node& self, const fixtures::node& peer, std::uint16_t port) const;
};

// Runs `io` until `done` holds (checked after each handler) or `limit`
// passes; returns whether `done` held.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::steady_clock::duration limit);

// An io_context with a started server of `owner` on a free port.
struct server_harness {
  asio::io_context io;
  asio::thread_pool files{1};
  std::shared_ptr<asio::ssl::context> tls;
  session::node_directory directory;
  memory_sink& sink;
  session::server server;
  bool served = false;  // serve() has completed: no session remains

  // Runs the server's graceful stop with `grace` to its end (bounded);
  // returns whether serve() completed.
  bool stop(std::chrono::steady_clock::duration grace = 100ms, std::chrono::steady_clock::duration limit = 20s);

  server_harness(const network& net, const fixtures::node& owner, memory_sink& sink,
                 session::server_settings settings = {});
  ~server_harness();  // stop() unless done

  // Runs the io_context until `done` holds (checked after each handler) or
  // `limit` passes; returns whether `done` held.
  bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit = 20s);
};

// Runs one client to completion on `io` (bounded by `limit`).
session::client_outcome run_client_to_end(asio::io_context& io, const session::client_tls& tls,
                                          const session::client_target& target, session::message_source& source,
                                          session::client_settings settings = {},
                                          std::chrono::steady_clock::duration limit = 30s);

}  // namespace swpt::testing

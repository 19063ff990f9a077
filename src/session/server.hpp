#pragma once
// The STOMP server: accepts peers' TLS connections, admits the ones the
// node database knows as active, and runs one server session per
// connection (docs/stomp.md §3). Received messages are processed by
// the core and handed to the message sink; a peer gets RECEIPT only for
// what the sink confirmed.

#include "async/task_group.hpp"
#include "log/log.hpp"
#include "session/admission_log.hpp"
#include "session/connection_limiter.hpp"
#include "session/interfaces.hpp"
#include "session/settings.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace swpt::session {

class server_session;

// Lifetime: every session is a child of the server's task group and refers
// to the server; the server must not be destroyed before serve() has
// completed, which it does only after stop() once no session remains.
class server {
 public:
  // `peers` and `sink` must outlive the server and its sessions.
  server(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, server_settings settings,
         peer_directory& peers, message_sink& sink, log::logger logger = log::logger{"swpt_stomp.server"});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds to settings.address (empty: every interface) on settings.port (0
  // picks a free port) and listens. Throws std::system_error (for instance,
  // port in use; a bad address).
  void listen();
  std::uint16_t port() const;

  // Accepts connections until stop(); each runs in a coroutine of its own.
  // Completes once the acceptor is closed and no session remains.
  asio::awaitable<void> serve();

  // The graceful stop: closes the acceptor; each session stops reading new
  // frames, waits up to `grace` for the sink's confirmations of what it
  // received, sends the last RECEIPT and ends with ERROR "The connection
  // has been closed by the server." (docs/stomp.md §3). Sessions still
  // running after `grace` plus the close timeout are cut off. Completes when
  // no session remains.
  asio::awaitable<void> stop(duration grace);

  // The terminal stop: closes the acceptor and ends every session at once
  // (also during a graceful stop). serve() completes soon after.
  void abort();

  // The context for connections accepted from now on (a renewed
  // certificate and key); established connections keep theirs.
  void set_tls_context(std::shared_ptr<asio::ssl::context> tls) { tls_ = std::move(tls); }

  // Ends every connection of this peer with ERROR `reason` (the supervisor
  // calls it when the peer is deactivated).
  void disconnect_peer(std::string_view node_id, std::string_view reason = "The peer has been deactivated.");

  std::size_t connection_count() const noexcept { return sessions_.size(); }
  std::size_t connection_count(std::string_view node_id) const;

 private:
  friend class server_session;

  asio::awaitable<void> handle(asio::ip::tcp::socket socket, connection_limiter::slot slot);
  // Closes a connection refused at its source's cap without a word (a
  // reset: no TIME_WAIT left behind for a flood).
  void refuse(asio::ip::tcp::socket& socket, const asio::ip::address& source);
  bool admit(server_session& s);        // false: too many connections from that peer
  void forget(server_session& s);       // the session ended

  asio::any_io_executor ex_;
  std::shared_ptr<asio::ssl::context> tls_;
  server_settings settings_;
  peer_directory& peers_;
  message_sink& sink_;
  log::logger logger_;
  asio::ip::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<server_session>> sessions_;
  std::map<std::string, std::set<server_session*>, std::less<>> by_peer_;
  connection_limiter limiter_;
  asio::steady_timer slot_freed_;  // never expires; cancelled when a slot frees
  admission_log admission_log_;
  duration stop_grace_{};  // set by stop() before the sessions are asked to stop
  async::task_group tasks_;  // last: destroyed (empty) before what sessions refer to
};

}  // namespace swpt::session

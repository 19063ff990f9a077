#include "session/client.hpp"

#include "async/race.hpp"
#include "log/untrusted.hpp"
#include "session/chain_binding.hpp"
#include "session/connection.hpp"
#include "session/handshake_gate.hpp"
#include "session/identity.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <deque>
#include <random>

namespace swpt::session {

using namespace asio::experimental::awaitable_operators;

namespace {

bool is_ip_address(const std::string& host) {
  std::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// A uniformly random order of the distinct servers; a server listed twice
// is twice as likely to come first, as docs/swpt-stomp.md intends.
std::vector<nodedata::server_address> connection_order(std::vector<nodedata::server_address> servers) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::shuffle(servers.begin(), servers.end(), rng);
  std::vector<nodedata::server_address> order;
  for (auto& s : servers)
    if (std::none_of(order.begin(), order.end(), [&](const auto& o) { return o.host == s.host && o.port == s.port; }))
      order.push_back(std::move(s));
  return order;
}

client_outcome ended(client_end kind, std::string detail) { return {kind, std::move(detail)}; }

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an unknown exception";
  }
}

}  // namespace

std::string_view to_string(client_end e) noexcept {
  switch (e) {
    case client_end::finished: return "finished";
    case client_end::aborted: return "aborted";
    case client_end::unreachable: return "unreachable";
    case client_end::tls: return "TLS handshake failed";
    case client_end::identity: return "wrong server identity";
    case client_end::network: return "connection lost";
    case client_end::peer_error: return "error from the peer";
    case client_end::protocol: return "protocol error";
    case client_end::source_failed: return "message source failed";
  }
  return "unknown";
}

void client_stop::finish(duration grace) {
  if (finish_by_ || aborted_) return;
  finish_by_ = std::chrono::steady_clock::now() + grace;
  changed_.cancel();
}

void client_stop::abort() {
  if (aborted_) return;
  aborted_ = true;
  changed_.cancel();
}

// One wait for a change; false once this coroutine is cancelled. The
// loops below then return rather than wait again (a second wait after a
// cancellation would throw, and they lose a `||` race on every batch the
// client sends).
asio::awaitable<bool> client_stop::changed() {
  co_await changed_.async_wait(nothrow);
  const auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() == asio::cancellation_type::none;
}

asio::awaitable<void> client_stop::requested() {
  while (!finish_by_ && !aborted_) {
    const bool waiting = co_await changed();  // not in the condition (GCC 12)
    if (!waiting) co_return;
  }
}

asio::awaitable<void> client_stop::abort_requested() {
  while (!aborted_) {
    const bool waiting = co_await changed();  // not in the condition (GCC 12)
    if (!waiting) co_return;
  }
}

class client_session final : public connection {
 public:
  client_session(tls_socket stream, const client_target& target, const client_settings& settings,
                 message_source& source, client_stop& stop, log::logger logger)
      : connection{std::move(stream), settings.times, settings.limits, std::move(logger)},
        target_{target},
        settings_{settings},
        source_{source},
        stop_{stop},
        wake_sender_{this->stream().get_executor()},
        connect_deadline_{this->stream().get_executor()} {}

  asio::awaitable<client_outcome> communicate();

 private:
  asio::awaitable<void> protocol();
  asio::awaitable<void> frames();
  asio::awaitable<void> sender();
  void start_connect_deadline();
  asio::awaitable<void> watch_stop();
  using taken = std::variant<std::optional<outgoing_message>, std::exception_ptr>;
  asio::awaitable<taken> take_next();
  // The first cause of the end is the one reported.
  void end_with(client_end kind, std::string detail = {}) {
    if (!end_) end_ = ended(kind, std::move(detail));
  }
  void on_connected(const stomp::frame_view& f);
  void on_receipt(const stomp::frame_view& f);
  void send_message(const outgoing_message& m);
  // `first` and whatever else the source has ready, within the buffer.
  void send_batch(outgoing_message first);
  // docs/stomp.md §4: after a protocol error nothing more is sent.
  void fail(std::string_view message, client_end kind = client_end::protocol) {
    if (closing()) return;
    end_with(kind, std::string{message});
    logger().error("Protocol error: {} ({})", message, target_.peer_id);
    outbox().clear();
    close();
  }
  void on_silence(double seconds) override {
    logger().warning("No data received for {:.3f} seconds. ({})", seconds, target_.peer_id);
    end_with(client_end::network, fmt::format("No data received for {:.3f} seconds.", seconds));
    outbox().clear();
    close();
  }

  const client_target& target_;
  const client_settings& settings_;
  message_source& source_;
  client_stop& stop_;
  std::optional<client_outcome> end_;
  bool connected_ = false;
  bool completed_ = false;
  std::deque<std::string> in_flight_;  // sent, not yet receipted, in sending order
  std::optional<std::string> disconnect_receipt_;
  event wake_sender_;
  asio::steady_timer connect_deadline_;
};

asio::awaitable<client_outcome> client_session::communicate() {
  const auto& m = target_.manifest;
  const std::string heartbeat = stomp::format_heartbeat(times().heartbeat);
  std::vector<stomp::header_view> headers{{"accept-version", "1.2"}, {"host", m.host}, {"heart-beat", heartbeat}};
  if (m.login) headers.emplace_back("login", *m.login);
  if (m.passcode) headers.emplace_back("passcode", *m.passcode);
  stomp::serialize_frame(outbox(), "STOMP", headers, {});
  wake_writer();

  logger().info("Opened STOMP connection to {}", remote());
  start_connect_deadline();
  co_await run(protocol());
  connect_deadline_.cancel();
  logger().info("Closed STOMP connection to {}", remote());
  auto outcome = end_ ? std::move(*end_) : ended(client_end::network, "The connection was closed.");
  if (completed_) outcome = ended(client_end::finished, {});
  outcome.connected = connected_;
  outcome.unconfirmed = in_flight_.size();
  co_return outcome;
}

// One race, not a chain of `||`: an idle connection waits here (see
// async/race.hpp for what that saves).
asio::awaitable<void> client_session::protocol() {
  co_await async::race(frames(), sender(), watch_stop(), until_closing());
}

// A finish asked from outside: the sender stops taking messages and ends
// with DISCONNECT; its RECEIPT closes the connection, or the grace ends
// first and we close anyway (close_notify after what is queued). An abort
// ends the connection at once.
asio::awaitable<void> client_session::watch_stop() {
  co_await stop_.requested();
  if (!stop_.aborted()) {
    wake_sender_.notify();
    if (!connected_) {
      end_with(client_end::finished, "Finished before CONNECTED.");
      co_return close();
    }
    asio::steady_timer grace{stream().get_executor(), *stop_.finish_by()};
    auto r = co_await (grace.async_wait(nothrow) || stop_.abort_requested() || until_closing());
    if (r.index() == 2) co_return;
    if (r.index() == 0) {
      logger().warning("Closing the connection to {} with {} messages unconfirmed.", remote(), in_flight_.size());
      end_with(client_end::finished, "Not every message was confirmed in time.");
      co_return close();
    }
  }
  end_with(client_end::aborted);
  abort();
}

asio::awaitable<void> client_session::frames() {
  while (!closing()) {
    auto next = co_await read_frame();
    if (auto* failed = std::get_if<read_failure>(&next)) {
      if (failed->protocol) {
        fail(failed->error.message());
      } else if (!completed_ && !closing()) {
        logger().warning("Connection to {} lost: {}", remote(), failed->error.message());
        end_with(client_end::network, failed->error.message());
      }
      co_return;
    }
    const auto& f = std::get<stomp::frame_view>(next);
    if (f.command == "CONNECTED") {
      on_connected(f);
    } else if (f.command == "RECEIPT") {
      on_receipt(f);
    } else if (f.command == "ERROR") {
      const log::untrusted text{f.header("message").value_or("")};
      end_with(client_end::peer_error, fmt::format("{}", text));
      fail(fmt::format("Received server error \"{}\".", text));
    } else {
      fail(fmt::format("Received unexpected command \"{}\".", log::untrusted(f.command)));
    }
  }
}

void client_session::on_connected(const stomp::frame_view& f) {
  if (connected_) return fail("Received CONNECTED command more than once.");
  if (f.header("version") != "1.2") return fail("Received wrong protocol version.");
  const auto peer = stomp::parse_heartbeat(f.header("heart-beat").value_or("0,0"));
  if (!peer) return fail("Received invalid heart-beat value.");
  connected_ = true;
  start_heartbeats(stomp::negotiate(times().heartbeat, *peer));
  wake_sender_.notify();
}

void client_session::on_receipt(const stomp::frame_view& f) {
  if (!connected_) return fail("Received another command before CONNECTED.");
  const auto id = f.header("receipt-id");
  if (!id) return fail("RECEIPT command without a receipt ID.");
  const auto it = std::find(in_flight_.begin(), in_flight_.end(), *id);
  // Receipts name what we sent; any other ID means the server is confused
  // (or hostile), and a warning per frame would let it flood the log.
  if (it == in_flight_.end())
    return fail(fmt::format("Received an unknown receipt ID \"{}\".", log::untrusted(*id)));
  in_flight_.erase(in_flight_.begin(), std::next(it));
  source_.confirm(*id);
  if (disconnect_receipt_ && *id == *disconnect_receipt_) {
    completed_ = true;
    return close();
  }
  wake_sender_.notify();
}

asio::awaitable<void> client_session::sender() {
  while (!connected_) co_await wake_sender_.wait();
  for (;;) {
    while (in_flight_.size() >= settings_.buffer && !stop_.finishing()) co_await wake_sender_.wait();
    if (stop_.finishing() || stop_.aborted()) break;
    // A message that is ready needs no race with the stop (two coroutine
    // frames and a cancellation each time).
    if (auto ready = source_.try_next()) {
      send_batch(std::move(*ready));
      continue;
    }
    auto next = co_await (take_next() || stop_.requested());
    if (next.index() == 2) break;  // a message being taken stays unacknowledged: it comes again
    if (auto* failure = std::get_if<std::exception_ptr>(&next)) {
      // The source failed: close at once; whatever is unconfirmed comes again.
      // (A closing connection cancels the wait for the next message: no news.)
      if (!closing()) {
        const auto why = describe(*failure);
        logger().error("Message source for {} failed: {}", target_.peer_id, why);
        end_with(client_end::source_failed, why);
      }
      close();
      co_return;
    }
    auto& m = std::get<0>(next);
    if (!m) break;
    send_batch(std::move(*m));
  }
  // The source has ended: finish gracefully.
  if (in_flight_.empty()) {
    completed_ = true;
    close();
  } else {
    disconnect_receipt_ = in_flight_.back();
    send("DISCONNECT", {{"receipt", *disconnect_receipt_}});
  }
  co_await until_closing();
}

// The source's failure as a value: `||` ends only with a branch that
// succeeded, so a throwing next() would leave the sender waiting.
asio::awaitable<client_session::taken> client_session::take_next() {
  try {
    co_return co_await source_.next();
  } catch (...) {
    co_return std::current_exception();
  }
}

void client_session::send_batch(outgoing_message first) {
  send_message(first);
  // What is ready already goes into the same write.
  while (in_flight_.size() < settings_.buffer) {
    auto more = source_.try_next();
    if (!more) break;
    send_message(*more);
  }
}

void client_session::send_message(const outgoing_message& m) {
  send("SEND",
       {{"destination", target_.manifest.destination},
        {"type", m.type},
        {"content-type", "application/json"},
        {"persistent", "true"},
        {"receipt", m.id}},
       m.body);
  in_flight_.push_back(m.id);
}

// A timer with a callback rather than a coroutine waiting for the whole
// connection; communicate() cancels it when the connection has ended.
void client_session::start_connect_deadline() {
  connect_deadline_.expires_after(times().connect_timeout);
  connect_deadline_.async_wait([self = shared_from_this(), this](std::error_code ec) {
    if (!ec && !connected_) fail("No response from peer.", client_end::network);
  });
}

namespace {

// TCP, then TLS, then the server's identity; the reason with a log line if
// any fails. With `handshakes`, the connect and the handshake wait for a
// place there.
asio::awaitable<std::variant<tls_socket, client_outcome>> open_stream(const client_tls& tls, const client_target& target,
                                                       const nodedata::server_address& server,
                                                       const timing& times, handshake_gate* handshakes,
                                                       const log::logger& logger) {
  const auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver{ex};
  asio::steady_timer timer{ex, times.connect_timeout};
  auto resolved = co_await (resolver.async_resolve(server.host, std::to_string(server.port), nothrow) ||
                            timer.async_wait(nothrow));
  if (resolved.index() == 1 || std::get<0>(std::get<0>(resolved))) {
    logger.warning("Cannot resolve {}", server.host);
    co_return ended(client_end::unreachable, fmt::format("Cannot resolve {}", server.host));
  }
  const auto endpoints = std::get<1>(std::get<0>(resolved));
  // A place from connect to the end of the handshake: a connection waiting
  // for its turn would make the server's handshake timeout run.
  std::optional<handshake_gate::permit> place;
  if (handshakes) {
    auto entered = co_await handshakes->enter();
    if (!entered) co_return ended(client_end::aborted, "Ended before connecting.");
    place.emplace(std::move(*entered));
  }
  tcp::socket socket{ex};
  timer.expires_after(times.connect_timeout);
  auto connected = co_await (asio::async_connect(socket, endpoints, nothrow) || timer.async_wait(nothrow));
  if (connected.index() == 1 || std::get<0>(std::get<0>(connected))) {
    logger.warning("Cannot connect to {}:{}", server.host, server.port);
    co_return ended(client_end::unreachable, fmt::format("Cannot connect to {}:{}", server.host, server.port));
  }
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  tls_socket stream{std::move(socket), tls.context()};
  if (auto ec = tls.apply(stream.native_handle())) {
    logger.error("Cannot set up TLS for {}:{}: {}", server.host, server.port, ec.message());
    co_return ended(client_end::tls, ec.message());
  }
  // SNI for DNS names, as other TLS clients send it; never for IP literals.
  if (!is_ip_address(server.host))
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server.host.c_str()));

  timer.expires_after(times.handshake_timeout);
  auto shaken = co_await (stream.handshake(tls_socket::role::client) || timer.async_wait(nothrow));
  place.reset();  // its buffers are gone: the next client may begin
  if (shaken.index() == 1) {
    logger.warning("SSL handshake with {}:{} timed out", server.host, server.port);
    co_return ended(client_end::tls, "SSL handshake timed out");
  }
  if (auto ec = std::get<0>(shaken)) {
    logger.warning("SSL handshake with {}:{} failed: {}", server.host, server.port, ec.message());
    co_return ended(client_end::tls, ec.message());
  }
  // The leaf must name the peer and be signed by the peer's root itself.
  if (node_id_of(SSL_get0_peer_certificate(stream.native_handle())) != target.peer_id ||
      !server_chain_is_bound(stream.native_handle())) {
    logger.error("Protocol error: Invalid certificate subject. ({}:{})", server.host, server.port);
    co_return ended(client_end::identity, "Invalid certificate subject.");
  }
  co_return std::move(stream);
}

}  // namespace

asio::awaitable<client_outcome> run_client(const client_tls& tls, client_target target, client_settings settings,
                                           message_source& source, client_stop* stop, log::logger logger) {
  std::optional<client_stop> never;  // without `stop`, nobody asks to end
  if (!stop) stop = &never.emplace(co_await asio::this_coro::executor);
  auto last = ended(client_end::unreachable, "The peer lists no server.");
  logger = logger.with("peer", target.peer_id);
  for (const auto& server : connection_order(target.manifest.servers)) {
    if (stop->finishing() || stop->aborted()) break;
    // The operators flatten the variants: the stream, a failure, or a stop.
    auto opened = co_await (open_stream(tls, target, server, settings.times, settings.handshakes, logger) || stop->requested());
    if (opened.index() == 2) break;
    if (auto* failure = std::get_if<client_outcome>(&opened)) {
      last = std::move(*failure);
      continue;
    }
    auto session = std::make_shared<client_session>(std::move(std::get<tls_socket>(opened)), target, settings,
                                                    source, *stop, logger);
    co_return co_await session->communicate();
  }
  if (stop->aborted()) co_return ended(client_end::aborted, "Ended before connecting.");
  if (stop->finishing()) co_return ended(client_end::finished, "Ended before connecting.");
  co_return last;
}

}  // namespace swpt::session

#pragma once
// Scripted peers for the session tests that assert exact bytes: a raw
// TCP/TLS connection (either end) that writes what the test tells it and
// records everything it receives, the received bytes cut into STOMP frames,
// a client running in the background while the test drives the io_context,
// and the usual setting of the server tests: the AA's server with its CA
// peer at the other end of a probe.
//
// Everything runs on the test's single-threaded io_context; no wait is
// unbounded (run_until of harness.hpp takes a limit).

#include "harness.hpp"

#include "core/stomp/frame.hpp"

#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace swpt::testing {

// One connection on `io`. Bytes given to send() are written in order once
// the connection (and the TLS handshake, if any) is up; everything received
// is kept until the other side closes, and then the probe closes too.
class tls_probe {
 public:
  // TCP to 127.0.0.1:port, then the client handshake with `tls`.
  static tls_probe connect(asio::io_context& io, std::uint16_t port, asio::ssl::context tls);
  // TCP only: the probe never says a word of TLS.
  static tls_probe connect_plain(asio::io_context& io, std::uint16_t port);
  // Listens on a free loopback port (port()), accepts one connection and
  // does the server handshake with `tls`.
  static tls_probe listen(asio::io_context& io, asio::ssl::context tls);

  tls_probe(tls_probe&&) noexcept = default;
  tls_probe& operator=(tls_probe&&) noexcept = default;
  ~tls_probe();  // closes the connection

  std::uint16_t port() const;  // the listening port (listen() only)
  void send(std::string bytes);
  void close();

  bool ended() const;  // refused, failed to handshake, or closed by either side
  std::error_code handshake_error() const;
  std::error_code end_reason() const;  // why reading stopped (eof: the peer closed cleanly)
  const std::string& received() const;

 private:
  struct state;
  explicit tls_probe(std::shared_ptr<state> s) : state_{std::move(s)} {}
  static asio::awaitable<void> run(std::shared_ptr<state> s);
  static asio::awaitable<void> reader(std::shared_ptr<state> s);
  static asio::awaitable<void> writer(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;  // shared with the probe's coroutines
};

// The OpenSSL reason code of a TLS error (SSL_R_...), or 0 for other errors:
// which alert a peer sent says who refused the handshake and why.
int tls_reason(std::error_code ec);

// Received bytes as STOMP: the frames, the heart-beat EOLs around them, and
// the parser's error text if the bytes are not STOMP.
struct stomp_stream {
  std::vector<stomp::frame> frames;
  std::size_t heartbeats = 0;
  std::optional<std::string> error;
  std::vector<std::string> commands() const;
};
stomp_stream parse_stream(std::string_view bytes);

// The bytes of a frame: `head` is the command line and the header lines,
// each ending in LF; the blank line, `body` and the NUL are added.
std::string frame_bytes(std::string_view head, std::string_view body = {});

// Frames a STOMP peer of the trio's AA sends, and what the AA's server answers.
std::string connect_frame(std::string_view heart_beat = "0,0");
std::string send_frame(std::string_view receipt, std::string_view body = prepare_transfer_body(1),
                       std::string_view destination = "/exchange/accounts_in");
// SEND frames with receipts first..last and prepare_transfer_body(receipt).
std::string send_frames(int first, int last);
std::string error_frame(std::string_view message);  // `message` must need no escaping
std::string receipt_frame(std::string_view id);
// CONNECTED as the server sends it (by default with its own default
// capabilities, `heart-beat:5000,30000`).
std::string connected_frame(std::string_view heart_beat = "5000,30000");

// A fresh key with a server certificate `root` issued for it.
fixtures::credential server_credential_from(const fixtures::credential& root,
                                            const fixtures::server_options& options = {});

// A client running on `io` while the test goes on driving it. The TLS
// context and the source must outlive it (declare them first).
class background_client {
 public:
  // `stop`, if given, must outlive the client too.
  background_client(asio::io_context& io, const session::client_tls& tls, session::client_target target,
                    session::message_source& source, session::client_settings settings = {},
                    session::client_stop* stop = nullptr);
  bool done() const;
  session::client_outcome outcome() const;  // throws std::logic_error before done()

 private:
  struct state;
  std::shared_ptr<state> state_;
};

// The AA's server (server_harness) and its CA peer at the other end of
// probes: the setting of most server tests.
struct aa_server_options {
  bool manual_sink = false;
  session::server_settings settings{};
  // Changes the node databases before the server starts.
  std::function<void(fixtures::trio&)> prepare{};
};

struct aa_server {
  explicit aa_server(aa_server_options options = {});

  // A probe with the CA's real client certificate chain.
  tls_probe connect_ca();
  // Everything the server sends a CA that sends `input` and then listens
  // until the server closes (at most `limit`).
  std::string reply_to(std::string input, std::chrono::steady_clock::duration limit = 10s);
  bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit = 10s);

  network net;
  memory_sink sink;
  std::optional<server_harness> harness;
  fixtures::node& aa() { return net.trio.aa; }
  fixtures::node& ca() { return net.trio.ca; }
  session::server& server() { return harness->server; }
  asio::io_context& io() { return harness->io; }
};

}  // namespace swpt::testing

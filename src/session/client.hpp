#pragma once
// The STOMP client: one connection to one of a peer's servers, sending the
// messages a message_source yields and confirming each RECEIPT back to it
// (docs/stomp.md §4).

#include "log/log.hpp"
#include "nodedata/stomp_manifest.hpp"
#include "session/interfaces.hpp"
#include "session/settings.hpp"
#include "session/tls.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::session {

struct client_target {
  std::string peer_id;               // the node ID the server's certificate must carry
  nodedata::stomp_manifest manifest;  // servers, host, destination, login, passcode
};

// Why a client run ended: what a supervisor chooses between a retry soon,
// a longer backoff and giving up by.
enum class client_end {
  finished,       // the source ended or a finish was asked for; see client_outcome::unconfirmed
  aborted,        // client_stop::abort(): what was unconfirmed comes again
  unreachable,    // no server could be connected to (name resolution, TCP)
  tls,            // the TLS handshake failed (certificates, TLS version, timeout)
  identity,       // the server's certificate names another node
  network,        // the connection was lost, or the peer fell silent or never sent CONNECTED
  peer_error,     // the peer sent ERROR; the detail is its message
  protocol,       // the peer broke the protocol
  source_failed,  // the message source failed; the detail says why
};
std::string_view to_string(client_end e) noexcept;

struct client_outcome {
  client_end kind = client_end::finished;
  std::string detail;           // for the log: the error text, the peer's message
  bool connected = false;       // a STOMP connection was established (CONNECTED came)
  std::size_t unconfirmed = 0;  // sent messages the peer never receipted
};

// How the owner of a client run asks it to end, at any time (also while it
// still connects). Owned by the caller; must outlive the run. Used on the
// run's executor only.
class client_stop {
 public:
  explicit client_stop(const asio::any_io_executor& ex) : changed_{ex, asio::steady_timer::time_point::max()} {}

  // The graceful end: take no more messages from the source, wait up to
  // `grace` for the RECEIPTs of what was sent (DISCONNECT with a receipt),
  // then close TLS with close_notify. Before the connection is up, the run
  // ends without connecting.
  void finish(duration grace);
  // The end at once: nothing more is sent.
  void abort();

  bool finishing() const noexcept { return finish_by_.has_value(); }
  bool aborted() const noexcept { return aborted_; }
  std::optional<std::chrono::steady_clock::time_point> finish_by() const noexcept { return finish_by_; }

  // Completes once finish() or abort() has been called.
  asio::awaitable<void> requested();
  // Completes once abort() has been called.
  asio::awaitable<void> abort_requested();

 private:
  asio::awaitable<bool> changed();

  asio::steady_timer changed_;  // never expires; cancel() wakes the waiters
  std::optional<std::chrono::steady_clock::time_point> finish_by_;
  bool aborted_ = false;
};

// Connects to a random server of the manifest (the others are tried in
// random order if it fails) and runs the connection until the source ends,
// `stop` says so, or something fails. `tls` is the peer's (client_tls); it, `source` and `stop` must outlive the call. The
// target and settings are copied into the coroutine, so temporaries are
// fine. Without `stop`, only the source's end finishes the run.
asio::awaitable<client_outcome> run_client(const client_tls& tls, client_target target, client_settings settings,
                                           message_source& source, client_stop* stop = nullptr,
                                           log::logger logger = log::logger{"swpt_stomp.client"});

}  // namespace swpt::session

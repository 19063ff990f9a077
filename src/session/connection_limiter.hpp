#pragma once
// Caps on what unauthenticated clients can hold of a server that faces the
// internet: TLS handshakes in progress (all together, and from one source
// address) and open connections. A connection takes a slot when it is
// accepted; its handshake part ends with the handshake, the rest when the
// connection closes. The server stops accepting while a global cap is
// reached, and closes at once what it accepts from a source that is at its
// own cap, so that one flooding address cannot keep the others out.
//
// Single-threaded, like the server that owns it; no I/O, so the server
// decides how to wait.

#include <asio/ip/address.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace swpt::session {

struct connection_caps {
  std::size_t max_pending_handshakes;
  std::size_t max_pending_handshakes_per_source;
  std::size_t max_connections;
};

class connection_limiter {
 public:
  class slot;

  // `on_release` is called whenever a handshake ends or a connection
  // closes: a waiting accept loop may go on.
  explicit connection_limiter(connection_caps caps, std::function<void()> on_release = {});
  connection_limiter(const connection_limiter&) = delete;
  connection_limiter& operator=(const connection_limiter&) = delete;

  // Whether the global caps leave room for one more connection.
  bool accepting() const noexcept;

  // A slot for a connection just accepted from `source`, or nullopt when
  // that source already has its cap of handshakes in progress. Does not
  // check the global caps: accept only while accepting().
  std::optional<slot> admit(const asio::ip::address& source);

  std::size_t pending_handshakes() const noexcept { return handshakes_; }
  std::size_t pending_handshakes_from(const asio::ip::address& source) const;
  std::size_t connections() const noexcept { return connections_; }

  // What counts as one source: an IPv4 address (also IPv4-mapped IPv6), or
  // an IPv6 /64, which is what one host usually has to itself.
  static std::string source_of(const asio::ip::address& address);

 private:
  void end_handshake(const std::string& source);
  void end_connection();

  connection_caps caps_;
  std::function<void()> on_release_;
  std::size_t handshakes_ = 0;
  std::size_t connections_ = 0;
  std::unordered_map<std::string, std::size_t> handshakes_by_source_;  // no zero counts
};

// One accepted connection's share of the caps. Move-only; the limiter must
// outlive it.
class connection_limiter::slot {
 public:
  slot(slot&& other) noexcept;
  slot& operator=(slot&&) = delete;
  slot(const slot&) = delete;
  slot& operator=(const slot&) = delete;
  ~slot();

  // The TLS handshake has ended (either way). Idempotent.
  void handshake_done() noexcept;

 private:
  friend class connection_limiter;
  slot(connection_limiter& owner, std::string source) : owner_{&owner}, source_{std::move(source)} {}

  connection_limiter* owner_;  // null once moved from
  std::string source_;
  bool handshaking_ = true;
};

}  // namespace swpt::session

#pragma once
// What the STOMP sessions need from the layers around them. The sessions
// know nothing of RabbitMQ or of the node database: the AMQP bridge
// implements message_sink and message_source, the supervisor (through the
// node database) implements peer_directory, and tests use in-memory ones.

#include "core/processing.hpp"

#include <asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace swpt::session {

// Server side: where accepted messages go.
class message_sink {
 public:
  // Called exactly once per message, from any thread: with no error when the
  // message is safely stored (the broker confirmed it), else with the reason
  // it never will be. The session then answers the peer accordingly.
  using confirm_handler = std::function<void(std::error_code)>;

  virtual ~message_sink() = default;

  // Hands over one message. Completes when the sink has taken it, which is
  // where a session waits while the sink's bounded queue is full. Messages of
  // one session are submitted in order, one at a time. Must complete promptly
  // when cancelled (per-operation cancellation): a closing session waits for
  // it. Throwing means the sink is unusable (the peer gets an ERROR).
  virtual asio::awaitable<void> submit(publication message, confirm_handler confirmed) = 0;
};

// Client side: where the messages for a peer come from.
struct outgoing_message {
  std::string id;    // the SEND receipt; the peer's RECEIPT names it
  std::string type;  // the SMP message type
  std::string body;  // JSON, already checked and translated for the peer
};

class message_source {
 public:
  virtual ~message_source() = default;

  // The next message to send, or nullopt when the source has ended normally
  // (the session then disconnects gracefully). Throws when the source has
  // failed (the session then closes at once). Only called while fewer than
  // the client buffer of messages are unconfirmed. Must complete promptly
  // when cancelled, as submit() must.
  virtual asio::awaitable<std::optional<outgoing_message>> next() = 0;

  // A message that is available right now, or nullopt (also when the
  // source has ended or failed: next() then says which). The session sends
  // whatever is ready in one write rather than one TLS record per message.
  virtual std::optional<outgoing_message> try_next() { return std::nullopt; }

  // The peer confirmed the message with this id and every one before it.
  virtual void confirm(std::string_view id) = 0;
};

// Server side: who may connect.
struct active_peer {
  peer_context peering;
  // The first certificate of the peer's root-ca.crt: the key the peer
  // certificate we issued must carry (chain_binding.hpp).
  std::string root_ca_pem;
};

class peer_directory {
 public:
  virtual ~peer_directory() = default;

  // An ACTIVE peer, or nullopt for a peer that is unknown or not active.
  // Throws when the node database cannot be read.
  virtual asio::awaitable<std::optional<active_peer>> find_active(std::string node_id) = 0;
};

}  // namespace swpt::session

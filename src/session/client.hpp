#pragma once
// The STOMP client: one connection to one of a peer's servers, sending the
// messages a message_source yields and confirming each RECEIPT back to it
// (STOMP-BEHAVIOUR.md §4).

#include "log/log.hpp"
#include "nodedata/stomp_manifest.hpp"
#include "session/interfaces.hpp"
#include "session/settings.hpp"

#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>

#include <string>

namespace swpt::session {

struct client_target {
  std::string peer_id;               // the node ID the server's certificate must carry
  nodedata::stomp_manifest manifest;  // servers, host, destination, login, passcode
};

enum class client_outcome {
  completed,    // the source ended and the peer confirmed everything sent
  unreachable,  // no server could be connected to (TCP, TLS or identity)
  failed,       // the connection ended early; unconfirmed messages were not confirmed
};

// Connects to a random server of the manifest (the others are tried in
// random order if it fails) and runs the connection until the source ends
// or something fails. `tls` is the peer's client context
// (make_client_context); it and `source` must outlive the call. The target
// and settings are copied into the coroutine, so temporaries are fine.
asio::awaitable<client_outcome> run_client(asio::ssl::context& tls, client_target target, client_settings settings,
                                           message_source& source,
                                           log::logger logger = log::logger{"swpt_stomp.client"});

}  // namespace swpt::session

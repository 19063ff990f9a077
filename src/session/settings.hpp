#pragma once
// Tunables of STOMP sessions, with the original's defaults.

#include "core/stomp/heartbeat.hpp"
#include "core/stomp/parser.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace swpt::session {

class handshake_gate;

using namespace std::chrono_literals;
using duration = std::chrono::steady_clock::duration;

struct timing {
  // What we can send and want to receive (`heart-beat:5000,30000`).
  stomp::heartbeat_spec heartbeat{5000ms, 30000ms};
  // Added to the receive interval before the watchdog gives up on a peer.
  duration network_delay = 10s;
  duration handshake_timeout = 5s;  // APP_SSL_HANDSHAKE_TIMEOUT
  // From the end of the handshake until CONNECT (server) or CONNECTED
  // (client) must have been processed.
  duration connect_timeout = 10s;
  // How long a closing connection may take to deliver its last frames.
  duration close_timeout = 5s;
};

struct server_settings {
  // The IP address to listen on; empty: every interface (IPv6 with IPv4
  // mapped where the host has IPv6, else IPv4).
  std::string address;
  std::uint16_t port = 1234;            // SWPT_SERVER_PORT
  int backlog = 100;                    // APP_STOMP_SERVER_BACKLOG
  std::size_t max_connections_per_peer = 10;  // APP_MAX_CONNECTIONS_PER_PEER
  // Caps for a server that faces the internet: whoever can reach the port
  // can open connections before proving who it is. While the TLS handshakes
  // in progress or the open connections (admitted or not) are at their cap,
  // the server stops accepting; a connection from a source address (an IPv6
  // /64) that already has its cap of handshakes in progress is closed at
  // once, so one flooding address cannot keep peers at other addresses out.
  // Handshakes take milliseconds unless stalled (handshake_timeout cuts
  // those off), so the handshake caps are far below the connection cap.
  std::size_t max_pending_handshakes = 100;
  std::size_t max_pending_handshakes_per_address = 10;
  std::size_t max_connections = 4000;
  // Unconfirmed messages per connection (SWPT_SERVER_BUFFER): reading stops
  // at this many and resumes as soon as fewer are unconfirmed.
  std::size_t buffer = 100;
  // APP_PEERS_CHECK_SECONDS: how often a connection re-checks that its peer
  // is still active (first time at a random point within the period).
  duration peer_check_period = 3600s;
  timing times;
  stomp::parser_limits limits;
};

struct client_settings {
  std::size_t buffer = 100;  // SWPT_CLIENT_BUFFER: unconfirmed messages in flight
  timing times;
  stomp::parser_limits limits;
  // Bounds the connects and TLS handshakes in progress at once; shared by
  // a process's clients (the daemon's) and outliving them. Null: no bound.
  // The wait for a place counts toward neither timeout.
  handshake_gate* handshakes = nullptr;
};

}  // namespace swpt::session

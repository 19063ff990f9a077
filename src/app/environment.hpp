#pragma once
// The tunables that only environment variables set (docs/rabbitmq-topology.md
// §4, the APP_* variables without an option). Every command reads them all
// at start-up, so a bad value is reported at once whichever command runs.

#include "daemon/variables.hpp"
#include "session/node_directory.hpp"
#include "session/settings.hpp"

#include <chrono>
#include <cstddef>

namespace swpt::app {

// The defaults of what the sessions use are the units' own (session::timing,
// session::server_settings, session::node_directory::settings): they are
// written there once.
struct tunables {
  using duration = std::chrono::steady_clock::duration;

  duration ssl_handshake_timeout = session::timing{}.handshake_timeout;                     // APP_SSL_HANDSHAKE_TIMEOUT
  std::size_t max_cached_peers = session::node_directory::settings{}.max_cached_peers;      // APP_MAX_CACHED_PEERS
  duration peers_cache_lifetime = session::node_directory::settings{}.cache_lifetime;      // APP_PEERS_CACHE_SECONDS
  duration peers_check_period = session::server_settings{}.peer_check_period;              // APP_PEERS_CHECK_SECONDS
  std::size_t file_read_threads = 0;  // APP_FILE_READ_THREADS; default 5 × CPU count (read_tunables fills it in)
  std::chrono::milliseconds rmq_connection_timeout = std::chrono::seconds{10};    // APP_RMQ_CONNECTION_TIMEOUT_SECONDS
  std::chrono::milliseconds rmq_confirmation_timeout = std::chrono::seconds{20};  // APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS
  int stomp_server_backlog = session::server_settings{}.backlog;                             // APP_STOMP_SERVER_BACKLOG
  std::size_t max_connections_per_peer = session::server_settings{}.max_connections_per_peer;  // APP_MAX_CONNECTIONS_PER_PEER
};

// What() is "<VARIABLE>: <what is wrong>"; the command prints it and exits 2.
// The daemon reads the same variables with the same rules (its
// configuration's environment step), hence the shared type.
using environment_error = daemon::variable_error;

// Returns the variable's value, or null when it is not set (std::getenv).
using environment_lookup = daemon::environment_lookup;

// Unset or empty variables keep their defaults. Leading and trailing blanks
// are ignored. Throws environment_error for the first bad value.
// APP_ASSOCIATED_LOGGERS is accepted and ignored: every logger of this
// program already logs at the one level.
tunables read_tunables(const environment_lookup& getenv);

// 5 × the number of CPUs (at least 5).
std::size_t default_file_read_threads() noexcept;

}  // namespace swpt::app

#include "app/environment.hpp"

#include "daemon/variables.hpp"

#include <algorithm>
#include <thread>

namespace swpt::app {

std::size_t default_file_read_threads() noexcept {
  return 5 * std::max(1U, std::thread::hardware_concurrency());
}

tunables read_tunables(const environment_lookup& getenv) {
  // The variables' ranges are the daemon's too: daemon/variables.hpp holds them.
  const auto v = daemon::read_tunable_values(getenv);
  tunables t;
  t.file_read_threads = default_file_read_threads();
  daemon::assign_if_set(t.ssl_handshake_timeout, v.ssl_handshake_timeout);
  daemon::assign_if_set(t.max_cached_peers, v.max_cached_peers);
  daemon::assign_if_set(t.peers_cache_lifetime, v.peers_cache_lifetime);
  daemon::assign_if_set(t.peers_check_period, v.peers_check_period);
  daemon::assign_if_set(t.file_read_threads, v.file_read_threads);
  daemon::assign_if_set(t.rmq_connection_timeout, v.rmq_connection_timeout);
  daemon::assign_if_set(t.rmq_confirmation_timeout, v.rmq_confirmation_timeout);
  daemon::assign_if_set(t.stomp_server_backlog, v.stomp_server_backlog);
  daemon::assign_if_set(t.max_connections_per_peer, v.max_connections_per_peer);
  return t;
}

}  // namespace swpt::app

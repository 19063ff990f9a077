#include "daemon/settings.hpp"

#include "amqp/broker_url.hpp"
#include "session/tls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <system_error>

namespace swpt::daemon {
namespace {

template <class Make>
auto tls_context(const config& c, Make make) {
  const auto credentials = session::tls_credentials::load(c.server.certificate, c.server.key);
  try {
    return make(credentials);
  } catch (const std::system_error&) {
    std::throw_with_nested(std::runtime_error{
        fmt::format("The certificate {} and the key {} cannot be used", c.server.certificate, c.server.key)});
  }
}

}  // namespace

amqp::connection_settings broker_connection(const config& c, std::string name) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(c.broker.url);
  s.timeout = c.broker.connection_timeout;
  s.heartbeat = std::max(std::chrono::duration_cast<std::chrono::seconds>(c.broker.heartbeat), std::chrono::seconds{1});
  s.name = std::move(name);
  return s;
}

amqp::publisher_settings publishing(const config& c) {
  amqp::publisher_settings s;
  s.connection = broker_connection(c, "swpt-stomp run: publishing");
  s.confirmation_timeout = c.broker.confirmation_timeout;
  s.capacity = std::max<std::size_t>(c.server.buffer, 1);
  return s;
}

amqp::pool_settings consumer_connections(const config& c) {
  amqp::pool_settings s;
  s.worker.connection = broker_connection(c, "swpt-stomp run: consuming");
  s.worker.max_channels = std::max<std::size_t>(c.broker.channels_per_connection, 1);
  s.connections = std::max<std::size_t>(c.broker.consumer_connections, 1);
  return s;
}

amqp::consumer_settings queue_consumer(const config& c, std::string queue) {
  amqp::consumer_settings s;
  s.queue = std::move(queue);
  s.prefetch = amqp::prefetch_count(c.clients.buffer);
  s.exclusive = c.clients.exclusive;
  s.standby_retry = c.clients.standby_retry;
  // The unit sees the connection's loss from next() and starts again; the
  // consumer itself waits for the worker's reconnection.
  s.fail_on_disconnect = false;
  return s;
}

session::timing stomp_timing(const config& c) {
  session::timing t;
  t.handshake_timeout = c.server.handshake_timeout;
  t.connect_timeout = c.timeouts.connect;
  t.close_timeout = c.timeouts.close;
  return t;
}

session::server_settings server_settings_for(const config& c, const listener& l) {
  session::server_settings s;
  s.address = l.address;
  s.port = l.port;
  s.backlog = c.server.backlog;
  s.max_connections_per_peer = c.server.max_connections_per_peer;
  s.max_connections = c.server.max_connections;
  s.max_pending_handshakes = c.server.max_pending_handshakes;
  s.max_pending_handshakes_per_address = c.server.max_pending_handshakes_per_address;
  s.buffer = std::max<std::size_t>(c.server.buffer, 1);
  s.peer_check_period = c.server.peers_check_interval;
  s.times = stomp_timing(c);
  return s;
}

session::client_settings client_settings_for(const config& c) {
  session::client_settings s;
  s.buffer = amqp::prefetch_count(c.clients.buffer);  // what the consumer may hold is what may be in flight
  s.times = stomp_timing(c);
  return s;
}

session::node_directory::settings directory_settings(const config& c) {
  return {c.server.max_cached_peers, c.server.peers_cache_lifetime};
}

session::duration finish_grace(const config& c) {
  return std::max<session::duration>(c.timeouts.shutdown - c.timeouts.close, session::duration::zero());
}

std::shared_ptr<asio::ssl::context> server_tls(const config& c, const std::string& owner_root_ca_pem) {
  return tls_context(c, [&](const session::tls_credentials& own) {
    return std::make_shared<asio::ssl::context>(session::make_server_context(own, owner_root_ca_pem));
  });
}

std::shared_ptr<const session::client_tls> client_tls(const config& c, const nodedata::peer_data& peer) {
  // Every peer's clients share one context while our certificate and key
  // stay the same (a thousand copies of them were most of the daemon's
  // memory); the files are still read for each peer, so a change reaches
  // a peer whenever its context is made.
  static session::client_base_cache bases;
  return tls_context(c, [&](const session::tls_credentials& own) {
    return std::make_shared<const session::client_tls>(bases.get(own), peer.sub_ca_pem, peer.root_ca_pem);
  });
}

}  // namespace swpt::daemon

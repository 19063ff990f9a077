#include "app/setup.hpp"

#include "amqp/broker_url.hpp"
#include "nodedata/database_url.hpp"
#include "session/node_directory.hpp"
#include "session/tls.hpp"

#include <fmt/format.h>

#include <system_error>

namespace swpt::app {

nodedata::database open_database(const options& o) {
  return nodedata::database{nodedata::parse_database_url(o.nodedata_url)};
}

nodedata::peer_data require_peer(const nodedata::database& db, std::string_view peer_id, peer_requirement r) {
  auto peer = db.find_peer(peer_id, /*active_only=*/false);
  if (!peer) throw startup_error{fmt::format("Peer {} is not in the database.", peer_id)};
  const auto state = peer->state;
  switch (r) {
    case peer_requirement::active:
      if (state == nodedata::peer_state::deactivated)
        throw startup_error{fmt::format("Peer {} has been deactivated.", peer_id)};
      if (state != nodedata::peer_state::active)
        throw startup_error{fmt::format("Peer {} has not been activated yet.", peer_id)};
      break;
    case peer_requirement::deactivated:
      if (state != nodedata::peer_state::deactivated)
        throw startup_error{fmt::format("Peer {} has not been deactivated.", peer_id)};
      break;
    case peer_requirement::not_deactivated:
      if (state == nodedata::peer_state::deactivated)
        throw startup_error{fmt::format("Peer {} has been deactivated.", peer_id)};
      break;
  }
  return std::move(*peer);
}

peering find_peering(const options& o, peer_requirement r) {
  const auto db = open_database(o);
  auto owner = db.read_owner();
  auto peer = require_peer(db, o.peer_node_id, r);
  auto context = session::make_peer_context(owner, peer);
  return {std::move(owner), std::move(peer), std::move(context)};
}

amqp::connection_settings broker_connection(const options& o, const tunables& t, std::string name) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(o.broker_url);
  s.timeout = t.rmq_connection_timeout;
  s.name = std::move(name);
  return s;
}

amqp::consumer_settings queue_consumer(const options& o) {
  amqp::consumer_settings s;
  s.queue = o.queue_name;
  s.prefetch = prefetch_count(o.client_buffer);
  // The command exits on broker trouble and is started again, as before
  // the consumers shared workers.
  s.fail_on_disconnect = true;
  return s;
}

amqp::pool_settings consumer_connections(const options& o, const tunables& t, std::string name) {
  amqp::pool_settings s;
  s.worker.connection = broker_connection(o, t, std::move(name));
  s.connections = 1;
  return s;
}

session::timing stomp_timing(const tunables& t) {
  session::timing times;
  times.handshake_timeout = t.ssl_handshake_timeout;
  return times;
}

session::server_settings server_settings_for(const options& o, const tunables& t) {
  session::server_settings s;
  s.port = o.server_port;
  s.backlog = t.stomp_server_backlog;
  s.max_connections_per_peer = t.max_connections_per_peer;
  s.buffer = o.server_buffer;
  s.peer_check_period = t.peers_check_period;
  s.times = stomp_timing(t);
  return s;
}

session::client_settings client_settings_for(const options& o, const tunables& t) {
  session::client_settings s;
  s.buffer = prefetch_count(o.client_buffer);  // what the consumer may hold is what may be in flight
  s.times = stomp_timing(t);
  return s;
}

namespace {

template <class Make>
auto tls_context(const options& o, Make make) {
  const auto credentials = session::tls_credentials::load(o.server_cert, o.server_key);
  try {
    return make(credentials);
  } catch (const std::system_error&) {
    std::throw_with_nested(
        startup_error{fmt::format("The certificate {} and the key {} cannot be used", o.server_cert, o.server_key)});
  }
}

}  // namespace

asio::ssl::context server_tls(const options& o, const std::string& owner_root_ca_pem) {
  return tls_context(o, [&](const session::tls_credentials& c) {
    return session::make_server_context(c, owner_root_ca_pem);
  });
}

session::client_tls client_tls(const options& o, const nodedata::peer_data& peer) {
  return tls_context(o, [&](const session::tls_credentials& c) {
    return session::make_client_tls(c, peer.sub_ca_pem, peer.root_ca_pem);
  });
}

}  // namespace swpt::app

#pragma once
// The units' own settings structs, filled from the daemon's configuration
// (one place, so that a key means the same to every unit), and the TLS
// contexts made from the server's certificate and key.

#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "daemon/config.hpp"
#include "nodedata/database.hpp"
#include "session/node_directory.hpp"
#include "session/settings.hpp"
#include "session/tls.hpp"

#include <asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace swpt::daemon {

// Throws std::invalid_argument for a bad broker URL.
amqp::connection_settings broker_connection(const config& c, std::string name);
amqp::publisher_settings publishing(const config& c);
amqp::pool_settings consumer_connections(const config& c);
// A queue's consumer for a client (clients.buffer in flight) or a drainer.
amqp::consumer_settings queue_consumer(const config& c, std::string queue);

session::timing stomp_timing(const config& c);
session::server_settings server_settings_for(const config& c, const listener& l);
session::client_settings client_settings_for(const config& c);
session::node_directory::settings directory_settings(const config& c);

// The graceful part of a unit's end: what is left of timeouts.shutdown once
// the close timeout (the last frames of a connection) is taken off.
session::duration finish_grace(const config& c);

// From server.certificate and server.key: the server's context, trusting
// the owner's root, and a client's for one peer. Throw naming the file that
// cannot be read or the pair that cannot be used.
std::shared_ptr<asio::ssl::context> server_tls(const config& c, const std::string& owner_root_ca_pem);
// All peers' clients share one base context while our files stay the same
// (session::client_base_cache).
std::shared_ptr<const session::client_tls> client_tls(const config& c, const nodedata::peer_data& peer);

}  // namespace swpt::daemon

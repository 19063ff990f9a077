#pragma once
// The start-up steps the commands share: the node database and the peer a
// command is run for, the broker connection, the STOMP timings, and the
// check-and-translate step applied to every message taken from a peer's
// queue. Every failure throws with a message fit for the one log line the
// command ends with.

#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "app/environment.hpp"
#include "app/options.hpp"
#include "core/processing.hpp"
#include "log/describe.hpp"
#include "nodedata/database.hpp"
#include "session/settings.hpp"
#include "session/tls.hpp"

#include <asio/ssl/context.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swpt::app {

// A start-up failure whose message is complete as it is ("Peer 1234abcd is
// not in the database.").
class startup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database of --nodedata-url. Throws std::invalid_argument for a URL
// that is not file:///<absolute path>.
nodedata::database open_database(const options& o);

// What a command needs of the peer's state.
enum class peer_requirement {
  active,           // the client: the peer must be ACTIVE
  deactivated,      // the drainer
  not_deactivated,  // configure-queue: before or after activation
};

// The peer, if it is in the database in the state required; else throws
// startup_error with the upstream message. Broken peer files throw
// nodedata::database_error.
nodedata::peer_data require_peer(const nodedata::database& db, std::string_view peer_id, peer_requirement r);

// The owner of --nodedata-url and the peer PEER_NODE_ID, in the state
// required: what client, drainer and configure-queue start from.
struct peering {
  nodedata::owner_data owner;
  nodedata::peer_data peer;
  peer_context context;  // for message processing and the queue topology
};
peering find_peering(const options& o, peer_requirement r);

// The connection to --broker-url, shown in the broker's connection list
// under `name`. Throws std::invalid_argument for a bad URL.
amqp::connection_settings broker_connection(const options& o, const tunables& t, std::string name);

// The consumer of a peer's queue (client and drainer): at most
// --client-buffer deliveries in memory, each checked and translated for the
// peer as docs/message-processing.md §8 says.
amqp::consumer_settings queue_consumer(const options& o);
// The command's consumer pool: one connection is enough for one queue.
amqp::pool_settings consumer_connections(const options& o, const tunables& t, std::string name);
using amqp::prefetch_count;  // for --client-buffer
using amqp::prepare_for;

// The sessions' settings: their own defaults, with what the command line
// and the environment say.
session::timing stomp_timing(const tunables& t);
session::server_settings server_settings_for(const options& o, const tunables& t);
session::client_settings client_settings_for(const options& o, const tunables& t);

// TLS contexts from --server-cert and --server-key: the server's, trusting
// the owner's root, and the client's for one peer. Throw naming the file
// that cannot be read or the pair that cannot be used.
asio::ssl::context server_tls(const options& o, const std::string& owner_root_ca_pem);
session::client_tls client_tls(const options& o, const nodedata::peer_data& peer);

// "what: why: deeper why" for an exception and the ones nested in it.
using log::describe;

}  // namespace swpt::app

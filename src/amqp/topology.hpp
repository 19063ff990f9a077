#pragma once
// The broker objects through which the owner's messages for one peer reach
// one client queue (docs/rabbitmq-topology.md §2), and their declaration.

#include "amqp/connection.hpp"
#include "core/processing.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace swpt::amqp {

struct queue_topology {
  std::optional<std::string> loopback_filter;  // CA owners: declared first, headers type
  std::string main_exchange, main_type;
  field_table main_arguments;
  std::string peer_exchange;  // <prefix>.x.<peer ID>, type x-random
  std::string binding_key;    // main exchange -> peer exchange
  std::string queue;          // bound to the peer exchange, dead-letters to <queue>.XQ
  std::string dead_letter_queue;
};

// Pure: which objects, for this owner/peer pair. Throws std::invalid_argument
// for a pair that cannot peer (the node database refuses those earlier).
queue_topology topology_for(const peer_context& peering, std::string_view peer_id, std::string_view queue);

// Declares everything (durable, idempotent: the same arguments every time).
void declare(connection& c, const queue_topology& t);

}  // namespace swpt::amqp

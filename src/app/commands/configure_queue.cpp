// configure-queue PEER QUEUE: declares the exchanges, bindings and queues
// through which the owner's messages for one peer reach QUEUE
// (docs/rabbitmq-topology.md §2). Every declaration repeats the same arguments,
// so running it again changes nothing.

#include "amqp/topology.hpp"
#include "app/commands/commands.hpp"
#include "app/setup.hpp"

#include <fmt/format.h>

namespace swpt::app {

int configure_queue_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::configure_queue);
  const auto p = find_peering(o, peer_requirement::not_deactivated);
  const auto topology = amqp::topology_for(p.context, p.peer.node_id, o.queue_name);
  const auto settings = broker_connection(o, t, fmt::format("configure-queue {}", o.queue_name));

  try {
    logger.info("Connecting to {}.", settings.url.masked());
    amqp::connection broker{settings};
    amqp::declare(broker, topology);
  } catch (const amqp::error& e) {
    logger.error("Configuring queue {} failed: {}", o.queue_name, e.what());
    return exit_failure;
  }
  // The original says "Successully" here; the spelling is fixed.
  logger.info("Successfully configured queue: {}", o.queue_name);
  return exit_ok;
}

}  // namespace swpt::app

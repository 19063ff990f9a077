#pragma once
// The drainer of a deactivated peer's queue (docs/rabbitmq-topology.md §3):
// consumes it like a client would, answers what needs an answer on the
// peer's behalf (core/drainer.hpp) by publishing to the owner's *_in
// exchange, and acknowledges every message.

#include "amqp/consumer.hpp"
#include "core/processing.hpp"
#include "log/log.hpp"
#include "session/interfaces.hpp"

#include <asio/awaitable.hpp>

#include <cstddef>

namespace swpt::amqp {

// Runs until the source fails (throws its error) or a response cannot be
// published (throws amqp::error): unlike the original, a drainer whose
// responses fail does not go on acknowledging messages it has not answered.
// At most `max_unconfirmed` responses wait for the broker's confirmation.
// A consumed message is acknowledged only once its response is confirmed
// (the original acknowledges before), so no answer is ever lost.
asio::awaitable<void> run_drainer(consumer& source, session::message_sink& sink,
                                  const peer_context& peering, std::size_t max_unconfirmed,
                                  log::logger logger = log::logger{"swpt_stomp.drainer"});

}  // namespace swpt::amqp

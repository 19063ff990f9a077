// swpt-drainer PEER QUEUE: empties the queue of a deactivated peer. Every
// message is checked as the client would check it; the ones that expect an
// answer are answered in the peer's name through the owner's *_in exchange,
// and each is acknowledged once its answer is confirmed. It runs until a
// signal (exit 0) or a failure (exit 1).

#include "amqp/drainer.hpp"
#include "amqp/publisher.hpp"
#include "app/commands/commands.hpp"
#include "app/setup.hpp"
#include "app/shutdown.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <fmt/format.h>

namespace swpt::app {

int drainer_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::drainer);
  const auto p = find_peering(o, peer_requirement::deactivated);
  const auto consuming = queue_consumer(o);
  amqp::publisher_settings publishing{broker_connection(o, t, fmt::format("swpt-drainer {} responses", o.queue_name)),
                                      t.rmq_confirmation_timeout, o.server_buffer};

  asio::io_context io;
  // After `io`: its workers are joined before `io` goes.
  amqp::consumer_pool pool{consumer_connections(o, t, fmt::format("swpt-drainer {}", o.queue_name))};
  termination_signals signals{io, logger};
  // Destroyed before the publisher: the consumer's last acknowledgements
  // go out while responses can still be confirmed.
  amqp::publisher sink{io.get_executor(), std::move(publishing)};
  amqp::consumer source{pool, io.get_executor(), consuming, prepare_for(p.context)};
  signals.on_signal([&] { source.finish(); });

  bool ended = false, failed = false;
  asio::co_spawn(io, amqp::run_drainer(source, sink, p.context, o.server_buffer), [&](std::exception_ptr e) {
    ended = true;
    if (!e) return;
    logger.error("The drainer of queue {} failed: {}", o.queue_name, describe(e));
    failed = true;
  });

  if (!signals.run_until([&] { return ended; })) {
    logger.warning("Exiting before the responses in flight have been confirmed.");
    exit_now(signals.received() ? exit_ok : exit_failure);
  }
  return failed || !signals.received() ? exit_failure : exit_ok;
}

}  // namespace swpt::app

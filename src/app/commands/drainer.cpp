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
#include "async/task_group.hpp"

#include <asio/io_context.hpp>
#include <fmt/format.h>

namespace swpt::app {
namespace {

struct drain_run {
  amqp::consumer& source;
  amqp::publisher& sink;
  const peer_context& peering;
  std::size_t max_unconfirmed;
  const std::string& queue;
};

// Ends when the source has finished and every answer is confirmed, or on a
// failure; a terminal stop ends it at once (operation_aborted).
asio::awaitable<void> drain(drain_run run, bool& failed, const bool& aborted, const log::logger& logger) {
  try {
    auto drainer_logger = log::logger{"swpt_stomp.drainer"}.with("peer", run.peering.peer_id).with("queue", run.queue);
    co_await amqp::run_drainer(run.source, run.sink, run.peering, run.max_unconfirmed, std::move(drainer_logger));
  } catch (const std::exception& e) {
    failed = true;
    if (aborted)
      logger.warning("Exiting before the responses in flight have been confirmed.");
    else
      logger.error("The drainer of queue {} failed: {}", run.queue, describe(e));
  }
}

asio::awaitable<int> until_drained(async::task_group& tasks, termination_signals& signals, const bool& failed) {
  co_await tasks.wait();
  signals.close();
  co_return failed || !signals.received() ? exit_failure : exit_ok;
}

}  // namespace

int drainer_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::drainer);
  const auto p = find_peering(o, peer_requirement::deactivated);
  const auto consuming = queue_consumer(o);
  amqp::publisher_settings publishing{broker_connection(o, t, fmt::format("swpt-drainer {} responses", o.queue_name)),
                                      t.rmq_confirmation_timeout, o.server_buffer};

  asio::io_context io{1};  // run by this thread alone: posts from it take no lock
  // After `io`: its workers are joined before `io` goes.
  // Every broker line names the peer and the queue drained.
  const auto rmq_logger = log::logger{"swpt_stomp.rmq"}.with("peer", p.peer.node_id).with("queue", o.queue_name);
  amqp::consumer_pool pool{consumer_connections(o, t, fmt::format("swpt-drainer {}", o.queue_name)), rmq_logger};
  termination_signals signals{io, logger};
  // Destroyed before the publisher: the consumer's last acknowledgements
  // go out while responses can still be confirmed.
  amqp::publisher sink{io.get_executor(), std::move(publishing), rmq_logger};
  amqp::consumer source{pool, io.get_executor(), consuming, prepare_for(p.context), rmq_logger};
  async::task_group tasks{io.get_executor(), logger};

  bool failed = false, aborted = false;
  tasks.spawn(drain({source, sink, p.context, o.server_buffer, o.queue_name}, failed, aborted, logger), "drainer");
  signals.on_signal([&] { source.finish(); },
                    [&] {
                      aborted = true;
                      tasks.emit(asio::cancellation_type::terminal);
                    });
  const int status = run_to_end(io, until_drained(tasks, signals, failed));
  return aborted && signals.received() ? exit_ok : status;
}

}  // namespace swpt::app

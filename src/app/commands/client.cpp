// swpt-client PEER QUEUE: sends the messages of one queue to an active
// peer's STOMP server over one connection, and acknowledges them in RabbitMQ
// on the peer's RECEIPTs. It exits when the connection ends; whoever runs it
// (Compose, Kubernetes, the daemon) starts it again. Only a signal makes
// that end a success.

#include "app/commands/commands.hpp"
#include "app/setup.hpp"
#include "app/shutdown.hpp"
#include "session/client.hpp"

#include <asio/io_context.hpp>
#include <fmt/format.h>

namespace swpt::app {
namespace {

std::string_view ending(const session::client_outcome& outcome) noexcept {
  switch (outcome.kind) {
    case session::client_end::finished:
      return "the connection was closed";
    case session::client_end::unreachable:
    case session::client_end::tls:
    case session::client_end::identity:
      return "no server of the peer could be reached";
    default:
      break;
  }
  return "the connection failed";
}

struct client_run {
  const session::client_tls& tls;
  session::client_target target;
  session::client_settings settings;
  session::message_source& source;
  session::client_stop& stop;
  log::logger session_logger;
};

// Runs the session; then the broker connection closes (its worker runs on
// this thread), acknowledging what was receipted.
asio::awaitable<int> communicate(client_run run, amqp::consumer_pool& pool, termination_signals& signals,
                                 const log::logger& logger) {
  session::client_outcome outcome;
  try {
    outcome = co_await session::run_client(run.tls, run.target, run.settings, run.source, &run.stop,
                                             run.session_logger);
  } catch (const std::exception& e) {
    logger.error("The STOMP client failed: {}", describe(e));
    outcome = {session::client_end::source_failed, e.what()};
  }
  co_await pool.stop();
  signals.close();
  if (signals.received()) co_return exit_ok;
  logger.error("Exiting: {} (peer {}).", ending(outcome), run.target.peer_id);
  co_return exit_failure;
}

}  // namespace

int client_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::client);
  const auto p = find_peering(o, peer_requirement::active);
  const auto& peer = p.peer;
  const auto consuming = queue_consumer(o);
  auto tls = client_tls(o, peer);
  const auto settings = client_settings_for(o, t);

  asio::io_context io{1};  // run by this thread alone: posts from it take no lock
  // After `io`: its inline worker ends on `io` (communicate() awaits its stop).
  // Every broker line names the peer and the queue.
  const auto rmq_logger = log::logger{"swpt_stomp.rmq"}.with("peer", peer.node_id).with("queue", o.queue_name);
  auto connections = consumer_connections(o, t, fmt::format("swpt-client {}", o.queue_name));
  // One thread for the session and the broker connection: a batch of
  // deliveries is sent, and a RECEIPT acknowledged, without waking another.
  connections.inline_executor = io.get_executor();
  amqp::consumer_pool pool{std::move(connections), rmq_logger};
  termination_signals signals{io, logger};
  amqp::consumer source{pool, io.get_executor(), consuming, prepare_for(p.context), rmq_logger};
  session::client_stop stop{io.get_executor()};
  // The DISCONNECT's RECEIPT may take the limit but the close timeout.
  const auto grace = std::max<session::duration>(shutdown_limit - settings.times.close_timeout, {});
  signals.on_signal([&] { stop.finish(grace); }, [&] { stop.abort(); });
  // Every line of the session names the queue (and, added there, the peer).
  auto session_logger = log::logger{"swpt_stomp.client"}.with("queue", o.queue_name);
  return run_to_end(io, communicate({tls, {peer.node_id, peer.manifest}, settings, source, stop,
                                     std::move(session_logger)},
                                    pool, signals, logger));
}

}  // namespace swpt::app

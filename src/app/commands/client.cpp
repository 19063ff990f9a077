// swpt-client PEER QUEUE: sends the messages of one queue to an active
// peer's STOMP server over one connection, and acknowledges them in RabbitMQ
// on the peer's RECEIPTs. It exits when the connection ends; whoever runs it
// (Compose, Kubernetes, the daemon) starts it again. Only a signal makes
// that end a success.

#include "app/commands/commands.hpp"
#include "app/setup.hpp"
#include "app/shutdown.hpp"
#include "session/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <fmt/format.h>

namespace swpt::app {
namespace {

std::string_view ending(session::client_outcome outcome) noexcept {
  switch (outcome) {
    case session::client_outcome::completed:
      return "the connection was closed";
    case session::client_outcome::unreachable:
      return "no server of the peer could be reached";
    case session::client_outcome::failed:
      break;
  }
  return "the connection failed";
}

}  // namespace

int client_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::client);
  const auto p = find_peering(o, peer_requirement::active);
  const auto& peer = p.peer;
  const auto consuming = queue_consumer(o);
  auto tls = client_tls(o, peer);
  session::client_settings settings;
  settings.buffer = consuming.prefetch;
  settings.times = stomp_timing(t);

  asio::io_context io;
  // After `io`: its workers are joined before `io` goes.
  amqp::consumer_pool pool{consumer_connections(o, t, fmt::format("swpt-client {}", o.queue_name))};
  termination_signals signals{io, logger};
  amqp::consumer source{pool, io.get_executor(), consuming, prepare_for(p.context)};
  signals.on_signal([&] { source.finish(); });

  std::optional<session::client_outcome> outcome;
  asio::co_spawn(io, session::run_client(tls, {peer.node_id, peer.manifest}, settings, source),
                 [&](std::exception_ptr e, session::client_outcome result) {
                   if (e) {
                     logger.error("The STOMP client failed: {}", describe(e));
                     result = session::client_outcome::failed;
                   }
                   outcome = result;
                 });

  if (!signals.run_until([&] { return outcome.has_value(); })) {
    logger.warning("Exiting before the connection to peer {} has closed.", peer.node_id);
    exit_now(signals.received() ? exit_ok : exit_failure);
  }
  if (signals.received()) return exit_ok;
  logger.error("Exiting: {} (peer {}).", ending(*outcome), peer.node_id);
  return exit_failure;
}

}  // namespace swpt::app

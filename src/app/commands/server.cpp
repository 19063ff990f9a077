// swpt-server: the node's STOMP server. Peers' messages go to the owner's
// *_in exchange through one publisher; each connection gets RECEIPTs only
// for what the broker confirmed.

#include "amqp/publisher.hpp"
#include "app/commands/commands.hpp"
#include "app/open_files.hpp"
#include "app/setup.hpp"
#include "app/shutdown.hpp"
#include "session/node_directory.hpp"
#include "session/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <fmt/format.h>

#include <exception>
#include <system_error>

namespace swpt::app {
namespace {

session::server_settings server_settings(const options& o, const tunables& t) {
  session::server_settings s;
  s.port = o.server_port;
  s.backlog = t.stomp_server_backlog;
  s.max_connections_per_peer = t.max_connections_per_peer;
  s.buffer = o.server_buffer;
  s.peer_check_period = t.peers_check_period;
  s.times = stomp_timing(t);
  return s;
}

}  // namespace

int server_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::server);
  if (const auto files = raise_open_files_limit(); files.error.empty()) logger.info("{}", open_files_message(files));
  else logger.warning("{}", open_files_message(files));
  auto db = open_database(o);
  amqp::publisher_settings publishing{broker_connection(o, t, "swpt-server"), t.rmq_confirmation_timeout,
                                      o.server_buffer};

  asio::io_context io;
  termination_signals signals{io, logger};
  // Declared after `io`, so it is joined before `io` goes: a file read that
  // is still running posts its result there.
  asio::thread_pool file_reads{t.file_read_threads};
  session::node_directory directory{std::move(db), file_reads.get_executor(),
                                    {t.max_cached_peers, t.peers_cache_lifetime}};
  auto tls = server_tls(o, directory.owner().root_ca_pem);
  amqp::publisher sink{io.get_executor(), std::move(publishing)};
  session::server server{io.get_executor(), tls, server_settings(o, t), directory, sink};
  try {
    server.listen();
  } catch (const std::system_error&) {
    std::throw_with_nested(startup_error{fmt::format("Cannot listen on port {}", o.server_port)});
  }

  bool failed = false;
  signals.on_signal([&] { server.stop(); });
  asio::co_spawn(io, server.serve(), [&](std::exception_ptr e) {
    if (!e) return;
    logger.error("The STOMP server stopped accepting connections: {}", describe(e));
    failed = true;
    server.stop();
  });

  const bool ended =
      signals.run_until([&] { return (signals.received() || failed) && server.connection_count() == 0; });
  const int status = failed ? exit_failure : exit_ok;
  if (!ended) {
    logger.warning("Exiting with {} STOMP connections still open.", server.connection_count());
    exit_now(status);
  }
  return status;
}

}  // namespace swpt::app

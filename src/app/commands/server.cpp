// swpt-server: the node's STOMP server. Peers' messages go to the owner's
// *_in exchange through one publisher; each connection gets RECEIPTs only
// for what the broker confirmed.

#include "amqp/publisher.hpp"
#include "app/commands/commands.hpp"
#include "app/setup.hpp"
#include "app/shutdown.hpp"
#include "session/node_directory.hpp"
#include "session/open_files.hpp"
#include "session/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <fmt/format.h>

#include <exception>
#include <memory>
#include <system_error>

namespace swpt::app {
namespace {

// The graceful stop's share of shutdown_limit: the sessions' close timeout
// comes after it.
session::duration stop_grace(const session::server_settings& s) {
  return std::max<session::duration>(shutdown_limit - s.times.close_timeout, session::duration::zero());
}

// Serves until the server is stopped and its last session has ended; then
// the publisher's connection closes (its worker runs on this thread).
asio::awaitable<int> serve(session::server& server, amqp::publisher& sink, termination_signals& signals,
                           session::duration grace, const log::logger& logger) {
  bool failed = false;
  try {
    co_await server.serve();
  } catch (const std::exception& e) {
    logger.error("The STOMP server stopped accepting connections: {}", describe(e));
    failed = true;
  }
  if (failed) co_await server.stop(grace);  // the sessions refer to the server: they end first
  co_await sink.stop();
  signals.close();
  co_return failed ? exit_failure : exit_ok;
}

}  // namespace

int server_command(const options& o, const tunables& t) {
  const auto logger = command_logger(command::server);
  if (const auto files = session::raise_open_files_limit(); files.error.empty())
    logger.info("{}", session::open_files_message(files));
  else logger.warning("{}", session::open_files_message(files));
  auto db = open_database(o);
  amqp::publisher_settings publishing{broker_connection(o, t, "swpt-server"), t.rmq_confirmation_timeout,
                                      o.server_buffer};
  // One thread for the sessions and the broker connection: a batch of
  // confirmations becomes RECEIPTs without waking another thread.
  publishing.inline_worker = true;
  const auto settings = server_settings_for(o, t);

  asio::io_context io{1};  // run by this thread alone: posts from it take no lock
  termination_signals signals{io, logger};
  // Declared after `io`, so it is joined before `io` goes: a file read that
  // is still running posts its result there.
  asio::thread_pool file_reads{t.file_read_threads};
  session::node_directory directory{std::move(db), file_reads.get_executor(),
                                    {t.max_cached_peers, t.peers_cache_lifetime}};
  auto tls = std::make_shared<asio::ssl::context>(server_tls(o, directory.owner().root_ca_pem));
  amqp::publisher sink{io.get_executor(), std::move(publishing)};
  session::server server{io.get_executor(), std::move(tls), settings, directory, sink};
  try {
    server.listen();
  } catch (const std::system_error&) {
    std::throw_with_nested(startup_error{fmt::format("Cannot listen on port {}", o.server_port)});
  }

  const auto grace = stop_grace(settings);
  signals.on_signal(
      [&] {
        asio::co_spawn(io, server.stop(grace), [&](std::exception_ptr e) {
          if (e) logger.error("Stopping the STOMP server failed: {}", describe(e));
        });
      },
      [&] { server.abort(); });
  return run_to_end(io, serve(server, sink, signals, grace, logger));
}

}  // namespace swpt::app

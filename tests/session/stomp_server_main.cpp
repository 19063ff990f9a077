// swpt-test-stomp-server: our STOMP server for one node database, with an
// in-memory sink that confirms every message at once. Independent clients
// (tests/session/stomppy_test.py) talk to it over mutual TLS.
//
//   swpt-test-stomp-server DBDIR SERVER_CERT SERVER_KEY PORT
//
// PORT 0 picks a free port. Once listening it prints `PORT <n>` on stdout;
// it ends on stdin EOF, SIGTERM or SIGINT, and then prints `RECEIVED <n>`,
// the number of messages the sink took. Logs go to stderr.

#include "harness.hpp"

#include "session/connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/signal_set.hpp>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using namespace swpt;

constexpr std::string_view usage = "usage: swpt-test-stomp-server DBDIR SERVER_CERT SERVER_KEY PORT\n";

// How long the sessions get to say goodbye after the end was asked for.
constexpr auto shutdown_limit = 10s;

// Completes when stdin reaches its end (or fails): the parent has gone.
asio::awaitable<void> until_stdin_closes(asio::posix::stream_descriptor& in) {
  char buffer[256];
  for (;;) {
    auto [ec, n] = co_await in.async_read_some(asio::buffer(buffer), session::nothrow);
    if (ec) co_return;
  }
}

void log_to_stderr() {
  log::configure(
      [](const log::record& r) {
        const auto line = log::format_record(log::format::text, r, std::time(nullptr));
        std::fprintf(stderr, "%s\n", line.c_str());
      },
      log::level::info);
}

int serve(const char* db_dir, const char* cert, const char* key, std::uint16_t port) {
  asio::io_context io;
  // Before PORT is printed: from then on, SIGTERM means a graceful end.
  asio::signal_set signals{io, SIGTERM, SIGINT};
  asio::thread_pool files{1};
  const nodedata::database db{db_dir};
  auto tls = std::make_shared<asio::ssl::context>(
      session::make_server_context(session::tls_credentials::load(cert, key), db.read_owner().root_ca_pem));
  session::node_directory directory{db, files.get_executor()};
  testing::memory_sink sink;
  session::server_settings settings;
  settings.port = port;
  session::server server{io.get_executor(), tls, settings, directory, sink};
  server.listen();
  std::fprintf(stdout, "PORT %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  bool stopping = false, served = false;
  auto log_failure = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "swpt-test-stomp-server: %s\n", x.what());
    }
  };
  auto stop = [&] {
    if (std::exchange(stopping, true)) return;
    asio::co_spawn(io, server.stop(shutdown_limit - settings.times.close_timeout), log_failure);
  };
  asio::co_spawn(io, server.serve(), [&](std::exception_ptr e) {
    served = true;
    log_failure(e);
  });

  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) stop();
  });
  asio::posix::stream_descriptor in{io};
  if (const int fd = ::dup(STDIN_FILENO); fd >= 0) {
    in.assign(fd);
    asio::co_spawn(io, until_stdin_closes(in), [&](std::exception_ptr e) {
      log_failure(e);
      stop();
    });
  }

  while (!stopping && io.run_one() > 0) {
  }
  signals.cancel();
  in.cancel();
  // The stop is bounded (grace, then the close timeout, then at once).
  while (!served && io.run_one() > 0) {
  }

  std::fprintf(stdout, "RECEIVED %zu\n", sink.count());
  std::fflush(stdout);
  files.join();
  return served ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fputs(usage.data(), stderr);
    return 2;
  }
  const std::string_view port_text = argv[4];
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    std::fprintf(stderr, "swpt-test-stomp-server: bad port %s\n%s", argv[4], usage.data());
    return 2;
  }
  log_to_stderr();
  try {
    return serve(argv[1], argv[2], argv[3], static_cast<std::uint16_t>(port));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "swpt-test-stomp-server: %s\n", e.what());
    return 1;
  }
}

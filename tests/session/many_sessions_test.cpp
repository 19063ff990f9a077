// Many sessions on one io_context: 200 clients of the same peer node, each
// with its own source, against one server listener, all on one thread.

#include "harness.hpp"

#include <asio/co_spawn.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>

using namespace swpt;
using namespace swpt::testing;

namespace {

constexpr std::size_t connections = 200;
constexpr std::size_t messages_per_connection = 20;

// One thread does every handshake of both sides; under sanitizers 200 of
// them take longer than the production handshake and CONNECT timeouts.
session::timing patient() {
  session::timing t;
  t.handshake_timeout = 60s;
  t.connect_timeout = 60s;
  return t;
}

// Distinct bodies across connections, so the sink can tell them apart.
std::vector<session::outgoing_message> messages_of(std::size_t connection) {
  std::vector<session::outgoing_message> out;
  for (std::size_t i = 1; i <= messages_per_connection; ++i) {
    const auto n = static_cast<std::int64_t>(connection * messages_per_connection + i);
    out.push_back({std::to_string(i), "PrepareTransfer", prepare_transfer_body(n)});
  }
  return out;
}

}  // namespace

TEST_CASE("200 clients of one peer run at once on one io_context", "[session][many]") {
  log::configure(log::stdout_sink(log::format::text), log::level::warning);  // 400 "Opened ..." lines otherwise
  network net;
  memory_sink sink;
  session::server_settings settings;
  settings.max_connections_per_peer = connections;  // every client is the same peer, the CA
  settings.backlog = 2 * connections;  // all connect before the first accept runs
  settings.times = patient();
  server_harness h{net, net.trio.aa, sink, settings};

  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  const auto target = net.target(net.trio.ca, net.trio.aa, h.server.port());
  session::client_settings client_settings;
  client_settings.times = patient();

  std::vector<std::unique_ptr<memory_source>> sources;
  std::vector<std::optional<session::client_outcome>> outcomes(connections);
  std::size_t finished = 0;
  std::size_t exceptions = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    sources.push_back(std::make_unique<memory_source>(h.io.get_executor(), messages_of(i)));
    asio::co_spawn(h.io, session::run_client(tls, target, client_settings, *sources.back()),
                   [&, i](std::exception_ptr e, session::client_outcome o) {
                     ++finished;
                     if (e) ++exceptions;
                     else outcomes[i] = o;
                   });
  }

  REQUIRE(h.run_until([&] { return finished == connections; }, 120s));
  CHECK(exceptions == 0);
  const auto completed = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o && o->kind == session::client_end::finished;
  });
  CHECK(completed == static_cast<std::ptrdiff_t>(connections));

  std::size_t fully_confirmed = 0;
  for (const auto& s : sources)
    if (!s->confirmations().empty() && s->confirmations().back() == std::to_string(messages_per_connection))
      ++fully_confirmed;
  CHECK(fully_confirmed == connections);

  REQUIRE(sink.count() == connections * messages_per_connection);
  std::set<std::string> bodies;
  for (const auto& p : sink.received()) bodies.insert(p.body);
  CHECK(bodies.size() == connections * messages_per_connection);

  // Every session ends once its client has disconnected.
  CHECK(h.run_until([&] { return h.server.connection_count() == 0; }, 30s));
}

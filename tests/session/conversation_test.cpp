#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace swpt;
using namespace swpt::testing;

TEST_CASE("a client sends messages and the server receipts every one", "[session]") {
  network net;
  memory_sink sink;
  server_harness h{net, net.trio.aa, sink};
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  memory_source source{h.io.get_executor(), ca_messages(500)};

  const auto outcome = run_client_to_end(h.io, tls, net.target(net.trio.ca, net.trio.aa, h.server.port()), source);

  CHECK(outcome.kind == session::client_end::finished);
  CHECK(outcome.connected);
  CHECK(outcome.unconfirmed == 0);
  REQUIRE(sink.count() == 500);
  CHECK(sink.received().front().exchange == "accounts_in");
  CHECK(sink.received().back().body == prepare_transfer_body(500));
  REQUIRE_FALSE(source.confirmations().empty());
  CHECK(source.confirmations().back() == "500");
}

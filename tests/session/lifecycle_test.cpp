// The server's lifecycle (docs/stomp.md §3): the graceful stop, the
// terminal stop, a new TLS context while sessions run, and the watchdog
// while flow control holds reading back. The AA's real server, the CA at
// the other end of a probe or a real client.

#include "probe.hpp"

#include <asio/co_spawn.hpp>
#include <catch2/catch.hpp>

using namespace swpt;
using namespace swpt::testing;

namespace {

constexpr auto quiet = 300ms;  // how long "nothing more happens" is watched
const std::string closed_by_server = error_frame("The connection has been closed by the server.");

void confirm(memory_sink& sink, int count) {
  for (int i = 0; i < count; ++i) sink.confirm_next();
}

tls_probe ca_that_sent(aa_server& s, int count) {
  auto probe = s.connect_ca();
  probe.send(connect_frame() + send_frames(1, count));
  REQUIRE(s.run_until([&] { return s.sink.count() == static_cast<std::size_t>(count); }));
  return probe;
}

// Starts the server's graceful stop; `stopped` is set when it completes.
void start_stop(aa_server& s, session::duration grace, bool& stopped) {
  asio::co_spawn(s.io(), s.server().stop(grace), [&stopped](std::exception_ptr e) {
    stopped = true;
    if (e) std::rethrow_exception(e);
  });
}

}  // namespace

TEST_CASE("a graceful stop reads nothing new, receipts what is confirmed in time, then closes",
          "[session][lifecycle]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 5);
  confirm(s.sink, 2);
  REQUIRE(s.run_until([&] { return probe.received().ends_with(receipt_frame("2")); }));

  bool stopped = false;
  start_stop(s, 10s, stopped);
  s.run_until([] { return false; }, quiet);  // the sessions have been asked to stop
  probe.send(send_frames(6, 6));
  CHECK_FALSE(s.run_until([&] { return s.sink.count() > 5; }, quiet));
  CHECK_FALSE(stopped);  // three messages still wait for their confirmation

  confirm(s.sink, 3);
  REQUIRE(s.run_until([&] { return stopped && probe.ended(); }));
  CHECK(probe.received() == connected_frame() + receipt_frame("2") + receipt_frame("5") + closed_by_server);
  CHECK(s.harness->served);
  CHECK(s.server().connection_count() == 0);
}

TEST_CASE("a graceful stop gives up waiting for confirmations after the grace", "[session][lifecycle]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 3);
  confirm(s.sink, 1);
  REQUIRE(s.run_until([&] { return probe.received().ends_with(receipt_frame("1")); }));

  bool stopped = false;
  const auto start = std::chrono::steady_clock::now();
  start_stop(s, 300ms, stopped);
  REQUIRE(s.run_until([&] { return stopped && probe.ended(); }));

  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  CHECK(probe.received() == connected_frame() + receipt_frame("1") + closed_by_server);
}

TEST_CASE("a graceful stop closes the acceptor and ends idle sessions at once", "[session][lifecycle]") {
  aa_server s;
  auto probe = s.connect_ca();
  probe.send(connect_frame());
  REQUIRE(s.run_until([&] { return probe.received() == connected_frame(); }));
  const auto port = s.server().port();

  bool stopped = false;
  start_stop(s, 10s, stopped);
  REQUIRE(s.run_until([&] { return stopped; }, 3s));
  CHECK(probe.received() == connected_frame() + closed_by_server);

  auto late = tls_probe::connect(s.io(), port, s.net.client_probe_context(s.ca(), s.aa()));
  REQUIRE(s.run_until([&] { return late.ended(); }));
  CHECK(late.end_reason() == asio::error::connection_refused);  // nobody listens any more
}

TEST_CASE("a terminal stop ends every session at once, without a frame", "[session][lifecycle]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 3);

  s.server().abort();
  REQUIRE(s.run_until([&] { return s.harness->served && probe.ended(); }, 3s));
  CHECK(probe.received() == connected_frame());
}

TEST_CASE("a new TLS context serves new connections while established ones keep flowing", "[session][lifecycle]") {
  aa_server s;
  auto first = s.connect_ca();
  first.send(connect_frame() + send_frames(1, 1));
  REQUIRE(s.run_until([&] { return first.received().ends_with(receipt_frame("1")); }));

  // The renewed certificate names another node, so that a client can tell
  // which one it was shown.
  s.net.trio.net.reissue_server_cert(
      s.aa(), fixtures::server_options{.subject = fixtures::subject_spec::of(node_type::accounting_authority, "87654321")});
  s.server().set_tls_context(std::make_shared<asio::ssl::context>(s.net.server_context(s.aa())));

  auto tls = s.net.client_context(s.ca(), s.aa());
  memory_source source{s.io().get_executor(), ca_messages(1)};
  background_client client{s.io(), tls, s.net.target(s.ca(), s.aa(), s.server().port()), source};
  REQUIRE(s.run_until([&] { return client.done(); }));
  CHECK(client.outcome().kind == session::client_end::identity);

  first.send(send_frames(2, 3));
  REQUIRE(s.run_until([&] { return first.received().ends_with(receipt_frame("3")); }));
  CHECK(s.sink.count() == 3);
}

TEST_CASE("a peer is not cut off as silent while flow control keeps its bytes unread", "[session][lifecycle]") {
  session::server_settings settings;
  settings.buffer = 4;
  // The peer must send something every 100 ms; silence counts after 200 ms.
  settings.times.heartbeat = {0ms, 100ms};
  settings.times.network_delay = 100ms;
  aa_server s{{.manual_sink = true, .settings = settings}};

  auto tls = s.net.client_context(s.ca(), s.aa());
  memory_source source{s.io().get_executor(), ca_messages(8)};
  session::client_settings client_settings;
  client_settings.times.heartbeat = {100ms, 0ms};
  background_client client{s.io(), tls, s.net.target(s.ca(), s.aa(), s.server().port()), source, client_settings};

  // Confirmations take five times the silence limit.
  REQUIRE(s.run_until([&] { return s.sink.count() == 4; }));
  CHECK_FALSE(s.run_until([&] { return client.done(); }, 1s));
  confirm(s.sink, 4);
  REQUIRE(s.run_until([&] { return s.sink.count() == 8; }));
  CHECK_FALSE(s.run_until([&] { return client.done(); }, 1s));
  confirm(s.sink, 4);
  REQUIRE(s.run_until([&] { return client.done(); }));

  CHECK(client.outcome().kind == session::client_end::finished);
  CHECK(source.confirmations().back() == "8");
}

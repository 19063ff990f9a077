// Whole conversations with the server (docs/stomp.md §3, §5, §7;
// docs/message-processing.md §6, §7): cumulative receipts, the graceful
// DISCONNECT, heart-beats, the watchdog, the connect timeout, flow control,
// and the ends the server chooses. The sink is manual wherever the test
// decides when messages are confirmed.

#include "probe.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace swpt;
using namespace swpt::testing;

namespace {

constexpr auto quiet = 300ms;  // how long "nothing more happens" is watched

void confirm(memory_sink& sink, int count, std::error_code ec = {}) {
  for (int i = 0; i < count; ++i) sink.confirm_next(ec);
}

bool ends_with(const tls_probe& probe, const std::string& bytes) { return probe.received().ends_with(bytes); }

// The CA, connected, once the server has answered its CONNECT.
tls_probe connected_ca(aa_server& s, std::string_view heart_beat = "0,0") {
  auto probe = s.connect_ca();
  probe.send(connect_frame(heart_beat));
  REQUIRE(s.run_until([&] { return !parse_stream(probe.received()).frames.empty(); }));
  return probe;
}

// The CA, once it has sent CONNECT, messages 1..count and then `more`
// (all in one write, so the server reads them together), and the sink
// holds `held` of the messages.
tls_probe ca_that_sent(aa_server& s, int count, std::size_t held, const std::string& more = {}) {
  auto probe = s.connect_ca();
  probe.send(connect_frame() + send_frames(1, count) + more);
  REQUIRE(s.run_until([&] { return s.sink.count() == held; }));
  return probe;
}

}  // namespace

TEST_CASE("a RECEIPT names the last message of the confirmed prefix", "[session][conversation]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 5, 5);

  confirm(s.sink, 3);
  REQUIRE(s.run_until([&] { return parse_stream(probe.received()).frames.size() >= 2; }));
  confirm(s.sink, 2);
  REQUIRE(s.run_until([&] { return ends_with(probe, receipt_frame("5")); }));

  CHECK(probe.received() == connected_frame() + receipt_frame("3") + receipt_frame("5"));
}

TEST_CASE("a long conversation gets one cumulative RECEIPT per batch of confirmations", "[session][conversation]") {
  network net;
  memory_sink sink{true};
  server_harness h{net, net.trio.aa, sink};
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  memory_source source{h.io.get_executor(), ca_messages(300)};
  background_client client{h.io, tls, net.target(net.trio.ca, net.trio.aa, h.server.port()), source};

  // Whatever is unconfirmed when the test looks is confirmed at once: a batch.
  std::size_t confirmed = 0, batches = 0;
  while (confirmed < 300) {
    REQUIRE(h.run_until([&] { return sink.unconfirmed() >= 50 || sink.count() == 300; }));
    const auto batch = sink.unconfirmed();
    confirm(sink, static_cast<int>(batch));
    confirmed += batch;
    ++batches;
  }
  REQUIRE(h.run_until([&] { return client.done(); }));

  CHECK(client.outcome().kind == session::client_end::finished);
  CHECK(sink.count() == 300);
  const auto& receipts = source.confirmations();
  CHECK(receipts.size() == batches);
  REQUIRE_FALSE(receipts.empty());
  CHECK(receipts.back() == "300");
  for (std::size_t i = 1; i < receipts.size(); ++i) CHECK(std::stoi(receipts[i - 1]) < std::stoi(receipts[i]));
}

TEST_CASE("DISCONNECT waits for the unconfirmed messages and is receipted alone", "[session][conversation]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 5, 5, frame_bytes("DISCONNECT\nreceipt:x\n"));
  CHECK_FALSE(s.run_until([&] { return probe.ended(); }, quiet));

  confirm(s.sink, 5);
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  CHECK(probe.received() == connected_frame() + receipt_frame("x"));
  CHECK(probe.end_reason() == asio::error::eof);
}

TEST_CASE("DISCONNECT with nothing unconfirmed is receipted at once", "[session][conversation]") {
  aa_server s;
  CHECK(s.reply_to(connect_frame() + frame_bytes("DISCONNECT\nreceipt:x\n")) ==
        connected_frame() + receipt_frame("x"));
}

TEST_CASE("DISCONNECT without a receipt closes without a frame", "[session][conversation]") {
  aa_server s;
  auto probe = s.connect_ca();
  probe.send(connect_frame() + frame_bytes("DISCONNECT\n"));
  REQUIRE(s.run_until([&] { return probe.ended(); }));
  CHECK(probe.received() == connected_frame());
  CHECK(probe.end_reason() == asio::error::eof);
}

TEST_CASE("CONNECTED names the server's own heart-beat capabilities", "[session][conversation]") {
  aa_server s;
  CHECK(s.reply_to(connect_frame("1000,1000") + frame_bytes("DISCONNECT\n")) == connected_frame("5000,30000"));
}

TEST_CASE("the server sends heart-beats at the negotiated interval", "[session][conversation]") {
  session::server_settings settings;
  settings.times.heartbeat = {100ms, 200ms};
  aa_server s{{.settings = settings}};
  auto probe = connected_ca(s, "100,100");
  REQUIRE(s.run_until([&] { return parse_stream(probe.received()).heartbeats >= 3; }, 5s));
  const auto stream = parse_stream(probe.received());
  CHECK(stream.commands() == std::vector<std::string>{"CONNECTED"});
  CHECK(*stream.frames.front().header("heart-beat") == "100,200");
  CHECK_FALSE(probe.ended());
}

TEST_CASE("the watchdog ends a connection that falls silent", "[session][conversation]") {
  session::server_settings settings;
  settings.times.heartbeat = {0ms, 100ms};
  settings.times.network_delay = 100ms;
  aa_server s{{.settings = settings}};
  auto probe = s.connect_ca();
  // The client promises a heart-beat every 100 ms, then never sends one.
  probe.send(connect_frame("100,0"));

  REQUIRE(s.run_until([&] { return probe.ended(); }, 5s));
  const auto stream = parse_stream(probe.received());
  REQUIRE(stream.commands() == std::vector<std::string>{"CONNECTED", "ERROR"});
  const std::string message = *stream.frames.back().header("message");
  std::smatch seconds;
  REQUIRE(std::regex_match(message, seconds, std::regex{R"(No data received for (\d+\.\d{3}) seconds\.)"}));
  CHECK(std::stod(seconds[1]) >= 0.2);  // the 100 ms interval plus the network delay
}

TEST_CASE("a connection without CONNECT is closed after the connect timeout", "[session][conversation]") {
  session::server_settings settings;
  settings.times.connect_timeout = 300ms;
  aa_server s{{.settings = settings}};
  const auto start = std::chrono::steady_clock::now();

  auto probe = s.connect_ca();
  REQUIRE(s.run_until([&] { return probe.ended(); }, 5s));

  CHECK(std::chrono::steady_clock::now() - start >= settings.times.connect_timeout);
  CHECK(probe.handshake_error() == std::error_code{});
  CHECK(probe.received().empty());
  CHECK(probe.end_reason() == asio::error::eof);
}

TEST_CASE("the server stops reading at the buffer size and resumes as a confirmation makes room",
          "[session][conversation]") {
  session::server_settings settings;
  settings.buffer = 4;
  aa_server s{{.manual_sink = true, .settings = settings}};
  auto probe = ca_that_sent(s, 10, 4);
  const auto sink_holds_more_than = [&](std::size_t n) {
    return s.run_until([&] { return s.sink.count() > n; }, quiet);
  };

  CHECK_FALSE(sink_holds_more_than(4));
  confirm(s.sink, 1);  // room for one more, and only one
  REQUIRE(s.run_until([&] { return s.sink.count() == 5; }));
  CHECK_FALSE(sink_holds_more_than(5));
  confirm(s.sink, 3);  // room for three: up to 4 unconfirmed again
  REQUIRE(s.run_until([&] { return s.sink.count() == 8; }));
  CHECK_FALSE(sink_holds_more_than(8));
  CHECK(s.sink.unconfirmed() == 4);
}

TEST_CASE("a message the sink fails to store ends the connection unreceipted", "[session][conversation]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 2, 2);

  confirm(s.sink, 1);
  REQUIRE(s.run_until([&] { return ends_with(probe, receipt_frame("1")); }));
  confirm(s.sink, 1, std::make_error_code(std::errc::io_error));
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  CHECK(probe.received() == connected_frame() + receipt_frame("1") + error_frame("Internal server error."));
}

TEST_CASE("a confirmation and a failure that arrive together: the RECEIPT goes before the ERROR",
          "[session][conversation]") {
  aa_server s{{.manual_sink = true}};
  auto probe = ca_that_sent(s, 2, 2);

  // Both handlers are queued before the session runs again.
  confirm(s.sink, 1);
  confirm(s.sink, 1, std::make_error_code(std::errc::io_error));
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  // ERROR is the last frame; the message confirmed before the failure is receipted.
  CHECK(probe.received() == connected_frame() + receipt_frame("1") + error_frame("Internal server error."));
}

TEST_CASE("a peer deactivated while connected is disconnected", "[session][conversation]") {
  aa_server s;
  auto probe = connected_ca(s);
  REQUIRE(probe.received() == connected_frame());

  s.server().disconnect_peer(s.ca().id);
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  CHECK(probe.received() == connected_frame() + error_frame("The peer has been deactivated."));
  CHECK(s.run_until([&] { return s.server().connection_count(s.ca().id) == 0; }));
}

TEST_CASE("a peer found deactivated at the re-check before publishing is disconnected", "[session][conversation]") {
  session::server_settings settings;
  settings.peer_check_period = 0s;  // re-check before every message
  aa_server s{{.settings = settings}};
  auto probe = connected_ca(s);
  REQUIRE(probe.received() == connected_frame());

  s.net.trio.net.deactivate(s.aa(), s.ca());
  s.harness->directory.forget(s.ca().id);
  probe.send(send_frames(1, 1));
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  CHECK(probe.received() == connected_frame() + error_frame("The peer has been deactivated."));
  CHECK(s.sink.count() == 0);
}

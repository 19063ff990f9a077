// The client's side of things going wrong (docs/stomp.md §4, §6, §8):
// a server that is not the peer, a server that is not there, a server that
// sends ERROR or never answers, and a message source that fails. The CA is the client and
// the AA (a real server, or a probe in its place) the server.

#include "probe.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace swpt;
using namespace swpt::testing;

namespace {

// Yields `count` messages, then fails as a broken AMQP consumer would.
class failing_source final : public session::message_source {
 public:
  explicit failing_source(std::size_t count) : messages_{ca_messages(count)} {}

  asio::awaitable<std::optional<session::outgoing_message>> next() override {
    if (next_ == messages_.size()) throw std::runtime_error("the consumer failed");
    co_return messages_[next_++];
  }
  void confirm(std::string_view id) override { confirmed_.emplace_back(id); }
  const std::vector<std::string>& confirmations() const noexcept { return confirmed_; }

 private:
  std::vector<session::outgoing_message> messages_;
  std::size_t next_ = 0;
  std::vector<std::string> confirmed_;
};

// A loopback port nobody listens on (the kernel just handed it out).
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::address_v4::loopback(), 0}};
  return acceptor.local_endpoint().port();
}

// The CA's client run against the AA's real server, whose credentials the
// test may have replaced; nothing may reach the sink.
session::client_outcome ca_client_outcome(network& net) {
  memory_sink sink;
  server_harness h{net, net.trio.aa, sink};
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  memory_source source{h.io.get_executor(), ca_messages(3)};
  const auto outcome =
      run_client_to_end(h.io, tls, net.target(net.trio.ca, net.trio.aa, h.server.port()), source, {}, 10s);
  CHECK(sink.count() == 0);
  CHECK(source.confirmations().empty());
  return outcome;
}

// The CA's client against a probe in the place of the AA's server: the
// test scripts what the server says. Declare the client's source and the
// background_client after it.
struct scripted_server {
  network net;
  asio::io_context io;
  session::client_tls tls{net.client_context(net.trio.ca, net.trio.aa)};  // the client's
  tls_probe server{tls_probe::listen(io, net.server_context(net.trio.aa))};

  session::client_target target() const { return net.target(net.trio.ca, net.trio.aa, server.port()); }
  stomp_stream received() const { return parse_stream(server.received()); }
  bool run_until(const std::function<bool()>& done) { return testing::run_until(io, done, 10s); }
};

}  // namespace

TEST_CASE("a server whose certificate names another node is unreachable", "[session][client]") {
  network net;
  // Valid under the AA's root, but for node 87654321.
  net.trio.net.reissue_server_cert(
      net.trio.aa,
      fixtures::server_options{.subject = fixtures::subject_spec::of(node_type::accounting_authority, "87654321")});
  CHECK(ca_client_outcome(net).kind == session::client_end::identity);
}

TEST_CASE("a server with a certificate from a foreign CA is unreachable", "[session][client]") {
  network net;
  // The AA's subject, another root.
  const auto foreign_root =
      fixtures::make_root(fixtures::subject_spec::of(node_type::accounting_authority, net.trio.aa.id));
  net.trio.net.install_server_credential(net.trio.aa, server_credential_from(foreign_root));
  CHECK(ca_client_outcome(net).kind == session::client_end::tls);
}

TEST_CASE("a server nobody listens at is unreachable", "[session][client]") {
  network net;
  asio::io_context io;
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  memory_source source{io.get_executor(), ca_messages(3)};
  CHECK(run_client_to_end(io, tls, net.target(net.trio.ca, net.trio.aa, closed_port()), source, {}, 10s).kind ==
        session::client_end::unreachable);
  CHECK(source.sent() == 0);
}

TEST_CASE("an ERROR from the server fails the client and confirms nothing more", "[session][client]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3), /*hold_open=*/true};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source};

  REQUIRE(s.run_until([&] { return s.received().frames.size() == 4; }));
  s.server.send(receipt_frame("1"));
  REQUIRE(s.run_until([&] { return source.confirmations().size() == 1; }));
  s.server.send(error_frame("Internal server error."));
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::peer_error);
  CHECK(client.outcome().detail == "Internal server error.");
  CHECK(client.outcome().unconfirmed == 2);
  CHECK(source.confirmations() == std::vector<std::string>{"1"});
  // The client closed without a word: no DISCONNECT after the ERROR.
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP", "SEND", "SEND", "SEND"});
}

TEST_CASE("a server that never answers CONNECT is given up after the connect timeout", "[session][client]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3)};
  session::client_settings settings;
  settings.times.connect_timeout = 300ms;
  background_client client{s.io, s.tls, s.target(), source, settings};

  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::network);
  CHECK_FALSE(client.outcome().connected);
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP"});
  CHECK(source.sent() == 0);
}

TEST_CASE("a client whose source fails closes without DISCONNECT", "[session][client]") {
  scripted_server s;
  failing_source source{2};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source};

  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::source_failed);
  CHECK(source.confirmations().empty());
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP", "SEND", "SEND"});
  CHECK_FALSE(s.received().error);
}

// ---- ends asked for from outside (client_stop) ----

TEST_CASE("a finish waits for the RECEIPTs of what was sent, then DISCONNECTs", "[session][client][lifecycle]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3), /*hold_open=*/true};
  session::client_stop stop{s.io.get_executor()};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source, {}, &stop};
  REQUIRE(s.run_until([&] { return s.received().frames.size() == 4; }));

  stop.finish(10s);
  REQUIRE(s.run_until([&] { return s.received().frames.size() == 5; }));
  const auto received = s.received();
  CHECK(received.commands().back() == "DISCONNECT");
  const auto* receipt = received.frames.back().header("receipt");
  REQUIRE(receipt);
  CHECK(*receipt == "3");
  s.server.send(receipt_frame("3"));  // the DISCONNECT's RECEIPT confirms all
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::finished);
  CHECK(client.outcome().unconfirmed == 0);
  CHECK(source.confirmations() == std::vector<std::string>{"3"});
  CHECK(source.sent() == 3);
  CHECK(s.server.end_reason() == asio::error::eof);  // close_notify: a clean TLS end
}

TEST_CASE("a finish whose RECEIPTs do not come closes after the grace", "[session][client][lifecycle]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3), /*hold_open=*/true};
  session::client_stop stop{s.io.get_executor()};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source, {}, &stop};
  REQUIRE(s.run_until([&] { return s.received().frames.size() == 4; }));

  const auto asked = std::chrono::steady_clock::now();
  stop.finish(300ms);
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(std::chrono::steady_clock::now() - asked >= 300ms);
  CHECK(client.outcome().kind == session::client_end::finished);
  CHECK(client.outcome().unconfirmed == 3);
  CHECK(source.confirmations().empty());
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP", "SEND", "SEND", "SEND", "DISCONNECT"});
  CHECK(s.server.end_reason() == asio::error::eof);
}

TEST_CASE("an abort ends the connection at once, confirming nothing more", "[session][client][lifecycle]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3), /*hold_open=*/true};
  session::client_stop stop{s.io.get_executor()};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source, {}, &stop};
  REQUIRE(s.run_until([&] { return s.received().frames.size() == 4; }));

  stop.abort();
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::aborted);
  CHECK(client.outcome().connected);
  CHECK(client.outcome().unconfirmed == 3);
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP", "SEND", "SEND", "SEND"});
}

TEST_CASE("a finish asked for before the connection is up ends the run without connecting",
          "[session][client][lifecycle]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3)};
  session::client_stop stop{s.io.get_executor()};
  stop.finish(1s);
  background_client client{s.io, s.tls, s.target(), source, {}, &stop};
  REQUIRE(s.run_until([&] { return client.done(); }));

  CHECK(client.outcome().kind == session::client_end::finished);
  CHECK_FALSE(client.outcome().connected);
  CHECK(source.sent() == 0);
}

TEST_CASE("a RECEIPT for something never sent is a protocol error", "[session][client]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(3), /*hold_open=*/true};
  s.server.send(connected_frame("0,0"));
  background_client client{s.io, s.tls, s.target(), source};

  REQUIRE(s.run_until([&] { return s.received().frames.size() == 4; }));
  s.server.send(receipt_frame("not-sent"));
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::protocol);
  CHECK(source.confirmations().empty());
  CHECK(s.received().commands() == std::vector<std::string>{"STOMP", "SEND", "SEND", "SEND"});
}

TEST_CASE("a server that breaks the protocol ends the run as a protocol error", "[session][client]") {
  scripted_server s;
  memory_source source{s.io.get_executor(), ca_messages(1), /*hold_open=*/true};
  s.server.send(connected_frame("0,0") + frame_bytes("MESSAGE\n"));
  background_client client{s.io, s.tls, s.target(), source};
  REQUIRE(s.run_until([&] { return client.done() && s.server.ended(); }));

  CHECK(client.outcome().kind == session::client_end::protocol);
  CHECK(client.outcome().detail == "Received unexpected command \"MESSAGE\".");
  CHECK(client.outcome().connected);
}

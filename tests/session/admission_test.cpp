// Who gets in (docs/stomp.md §3.5, §6): the TLS handshake refuses
// clients without a certificate chain to our root, and admission refuses
// the ones the node database does not list as active. A refused peer gets
// its ERROR right after the handshake, before any CONNECT.

#include "probe.hpp"

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

using namespace swpt;
using namespace swpt::testing;

namespace {

// Connects with `tls` and checks that the server's TLS layer refused the
// client with `alert` (an SSL_R_..._ALERT_... reason) before any STOMP. In
// TLS 1.3 the client's side of the handshake completes before the server
// has checked the client's certificate, so that alert arrives on the first
// read; a refused TLS 1.2 ClientHello fails the handshake itself.
void check_refused_by_tls(aa_server& s, asio::ssl::context tls, int alert) {
  auto probe = tls_probe::connect(s.io(), s.server().port(), std::move(tls));
  REQUIRE(s.run_until([&] { return probe.ended(); }));
  const auto refusal = probe.handshake_error() ? probe.handshake_error() : probe.end_reason();
  INFO(refusal.message());
  CHECK(tls_reason(refusal) == alert);
  CHECK(probe.received().empty());
  CHECK(s.server().connection_count(s.ca().id) == 0);
}

// A client context presenting `leaf` followed by `sub_ca`, trusting the root
// of the server's owner.
asio::ssl::context client_context_with(const fixtures::credential& leaf, const fixtures::certificate& sub_ca,
                                       const fixtures::node& server_owner) {
  const session::tls_credentials own{leaf.cert.to_pem(), leaf.key.to_pem()};
  return session::make_client_context(own, sub_ca.to_pem(), server_owner.root.cert.to_pem());
}

// Waits until the server has ended the probe's conversation.
void wait_for_end(aa_server& s, const tls_probe& probe) {
  REQUIRE(s.run_until([&] { return probe.ended(); }));
}

}  // namespace

TEST_CASE("a TLS 1.2 client fails the handshake", "[session][admission]") {
  aa_server s;
  auto tls = s.net.client_probe_context(s.ca(), s.aa());
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(tls.native_handle(), TLS1_2_VERSION);
  check_refused_by_tls(s, std::move(tls), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
}

TEST_CASE("a client without a certificate fails the handshake", "[session][admission]") {
  aa_server s;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
  tls.add_certificate_authority(asio::buffer(s.aa().root.cert.to_pem()));
  tls.set_verify_mode(asio::ssl::verify_peer);
  check_refused_by_tls(s, std::move(tls), SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
}

TEST_CASE("a client certificate from a foreign CA fails the handshake", "[session][admission]") {
  aa_server s;
  // The CA's subject, but a root our AA never issued a peer certificate to.
  const auto foreign_root = fixtures::make_root(fixtures::subject_spec::of(node_type::creditors_agent, s.ca().id));
  check_refused_by_tls(s, client_context_with(server_credential_from(foreign_root), foreign_root.cert, s.aa()),
                       SSL_R_TLSV1_ALERT_UNKNOWN_CA);
}

TEST_CASE("a verified certificate without the registry's O is an invalid subject", "[session][admission]") {
  aa_server s;
  auto subject = fixtures::subject_spec::of(node_type::creditors_agent, s.ca().id);
  SECTION("no O") { subject.organization.reset(); }
  SECTION("another O") { subject.organization = "Another Nodes Registry"; }
  // The chain verifies: our AA issued the CA a peer certificate whose name
  // constraints permit exactly this subject, and the CA's root signed it.
  const auto sub_ca = fixtures::issue_peer_cert(
      s.aa().root, s.ca().root.cert,
      fixtures::peer_options{.netscape_comment = fixtures::subnet_comment("000001"), .permitted = subject});
  const auto leaf = server_credential_from(s.ca().root, fixtures::server_options{.subject = subject});

  auto probe = tls_probe::connect(s.io(), s.server().port(), client_context_with(leaf, sub_ca, s.aa()));
  wait_for_end(s, probe);

  CHECK(probe.handshake_error() == std::error_code{});
  CHECK(probe.received() == error_frame("Invalid certificate subject."));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("a peer the node database does not list as active is unknown", "[session][admission]") {
  std::function<void(fixtures::trio&)> change;
  SECTION("no peer directory") {
    change = [](fixtures::trio& t) { t.net.remove_peer(t.aa, t.ca); };
  }
  SECTION("registered but never ACTIVE") {
    change = [](fixtures::trio& t) { t.net.reset_activation(t.aa, t.ca); };
  }
  SECTION("DEACTIVATED") {
    change = [](fixtures::trio& t) { t.net.deactivate(t.aa, t.ca); };
  }
  // The CA still holds the certificate our AA issued it: its chain verifies.
  aa_server s{{.prepare = change}};

  auto probe = s.connect_ca();
  wait_for_end(s, probe);

  CHECK(probe.handshake_error() == std::error_code{});
  CHECK(probe.received() == error_frame("Unknown peer serial number."));
  CHECK(s.server().connection_count(s.ca().id) == 0);
}

TEST_CASE("the eleventh connection from one peer is too many", "[session][admission]") {
  aa_server s;
  std::vector<tls_probe> admitted;
  for (int i = 0; i < 10; ++i) admitted.push_back(s.connect_ca());
  REQUIRE(s.run_until([&] { return s.server().connection_count(s.ca().id) == 10; }));

  auto eleventh = s.connect_ca();
  wait_for_end(s, eleventh);
  CHECK(eleventh.received() == error_frame("Too many connections from one peer."));
  CHECK(s.server().connection_count(s.ca().id) == 10);

  for (const auto& probe : admitted) CHECK(probe.received().empty());

  // A connection that ends makes room for another.
  admitted.front().close();
  REQUIRE(s.run_until([&] { return s.server().connection_count(s.ca().id) == 9; }));
  auto another = s.connect_ca();
  another.send(connect_frame());
  REQUIRE(s.run_until([&] { return another.received() == connected_frame(); }));
  CHECK(s.server().connection_count(s.ca().id) == 10);
}

TEST_CASE("a handshake that never comes is cut off after the handshake timeout", "[session][admission]") {
  session::server_settings settings;
  settings.times.handshake_timeout = 200ms;
  aa_server s{{.settings = settings}};
  const auto start = std::chrono::steady_clock::now();

  auto probe = tls_probe::connect_plain(s.io(), s.server().port());
  wait_for_end(s, probe);

  CHECK(std::chrono::steady_clock::now() - start >= settings.times.handshake_timeout);
  CHECK(probe.end_reason() == asio::error::eof);
  CHECK(probe.received().empty());
}

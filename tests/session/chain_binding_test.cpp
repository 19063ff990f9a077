// A certificate issued under another peer's sub-CA never passes for this
// peer (docs/certificates.md), even when that sub-CA's name constraints are
// loose or missing: the server binds the chain to the peer's root-ca.crt,
// the client wants the server's leaf signed by the peer's root itself.
// Peer B is the DA, whose root the AA certified; it claims to be the CA
// (towards the AA's server) or the AA (towards the CA's client).

#include "probe.hpp"

#include "session/chain_binding.hpp"

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

using namespace swpt;
using namespace swpt::testing;

namespace {

// The peer certificate the AA issued to the DA's root, with name
// constraints that do not confine the DA to its own name.
fixtures::certificate loose_sub_ca_of_da(const network& net, bool with_constraints) {
  fixtures::peer_options options{.netscape_comment = fixtures::subnet_comment("1234abcd00")};
  if (with_constraints) {
    options.permitted = fixtures::subject_spec{.organization = std::string{fixtures::registry_organization}};
  } else {
    options.name_constraints = false;
  }
  return fixtures::issue_peer_cert(net.trio.aa.root, net.trio.da.root.cert, options);
}

// Credentials presenting `leaf` followed by `sub_ca`.
session::tls_credentials presenting(const fixtures::credential& leaf, const fixtures::certificate& sub_ca) {
  return {leaf.cert.to_pem() + sub_ca.to_pem(), leaf.key.to_pem()};
}

}  // namespace

TEST_CASE("the server refuses a client whose chain runs through another peer's sub-CA",
          "[session][admission][chain]") {
  const bool with_constraints = GENERATE(true, false);
  INFO((with_constraints ? "sub-CA permits every registry subject" : "sub-CA without name constraints"));
  aa_server s;
  const auto sub_ca = loose_sub_ca_of_da(s.net, with_constraints);
  // Signed by the DA's root, naming the CA: the CA is an active peer.
  const auto leaf = server_credential_from(
      s.net.trio.da.root,
      fixtures::server_options{.subject = fixtures::subject_spec::of(node_type::creditors_agent, s.ca().id)});
  auto tls = session::make_client_context(presenting(leaf, sub_ca), {}, s.aa().root.cert.to_pem());

  auto probe = tls_probe::connect(s.io(), s.server().port(), std::move(tls));
  probe.send(connect_frame());
  REQUIRE(s.run_until([&] { return probe.ended(); }));

  CHECK(probe.handshake_error() == std::error_code{});  // OpenSSL's verification passed
  CHECK(probe.received() == error_frame("Invalid certificate subject."));
  CHECK(s.server().connection_count(s.ca().id) == 0);
  CHECK(s.sink.count() == 0);
}

TEST_CASE("the client refuses a server whose chain runs through another peer's sub-CA",
          "[session][client][chain]") {
  const bool with_constraints = GENERATE(true, false);
  INFO((with_constraints ? "sub-CA permits every registry subject" : "sub-CA without name constraints"));
  network net;
  asio::io_context io;
  const auto sub_ca = loose_sub_ca_of_da(net, with_constraints);
  const auto leaf = server_credential_from(
      net.trio.da.root,
      fixtures::server_options{.subject = fixtures::subject_spec::of(node_type::accounting_authority, net.trio.aa.id)});
  // Trusts the AA's root, so the CA's real client chain verifies here.
  auto server =
      tls_probe::listen(io, session::make_server_context(presenting(leaf, sub_ca), net.trio.aa.root.cert.to_pem()));
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  // The context's verify depth alone refuses such a chain; with it lifted,
  // the client's own chain check must.
  if (GENERATE(false, true)) SSL_CTX_set_verify_depth(tls.context().native_handle(), 5);
  memory_source source{io.get_executor(), ca_messages(3)};

  const auto outcome = run_client_to_end(io, tls, net.target(net.trio.ca, net.trio.aa, server.port()), source, {}, 10s);
  CHECK((outcome.kind == session::client_end::tls || outcome.kind == session::client_end::identity));
  CHECK(source.sent() == 0);
  CHECK(parse_stream(server.received()).frames.empty());
}

TEST_CASE("both contexts bound the depth and the size of a peer's certificate list", "[session][chain]") {
  network net;
  auto server = net.server_context(net.trio.aa);
  auto client = net.client_context(net.trio.ca, net.trio.aa);
  // Leaf, the peer certificate we issued, our root: one certificate between.
  CHECK(SSL_CTX_get_verify_depth(server.native_handle()) == 1);
  // Leaf signed by the peer's root: none between.
  CHECK(SSL_CTX_get_verify_depth(client.context().native_handle()) == 0);
  CHECK(SSL_CTX_get_max_cert_list(server.native_handle()) == session::max_certificate_list);
  CHECK(SSL_CTX_get_max_cert_list(client.context().native_handle()) == session::max_certificate_list);
}

TEST_CASE("the clients' base context is made again only when our certificate or key changes", "[session][chain]") {
  network net;
  session::client_base_cache bases;
  const auto own = session::tls_credentials::load(net.trio.ca.server_cert, net.trio.ca.server_key);
  const auto first = bases.get(own);
  CHECK(bases.get(own) == first);
  auto renewed = own;
  renewed.certificate_pem += "\n";  // other bytes, the same certificate
  const auto second = bases.get(renewed);
  CHECK(second != first);
  CHECK(bases.get(renewed) == second);
}

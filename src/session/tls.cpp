#include "session/tls.hpp"

#include "session/chain_binding.hpp"

#include <openssl/ssl.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace swpt::session {
namespace {

std::string read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw std::runtime_error(fmt::format("cannot read the {} file {}", what, path.string()));
  return std::move(text).str();
}

asio::ssl::context base_context(asio::ssl::context::method method, const tls_credentials& own,
                                const std::string& chain_pem, const std::string& trusted_pem) {
  asio::ssl::context ctx{method};
  // TLS 1.3 or nothing (docs/swpt-stomp.md): no downgrade to what a peer offers.
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION) != 1)
    throw std::runtime_error("TLS 1.3 is not available");
  ctx.set_options(asio::ssl::context::no_compression);
  // An idle connection gives its record buffers back: a daemon holds
  // hundreds of mostly idle connections.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  ctx.use_certificate_chain(asio::buffer(chain_pem));
  ctx.use_private_key(asio::buffer(own.private_key_pem), asio::ssl::context::pem);
  // The only trust anchor: no system store is ever loaded.
  ctx.add_certificate_authority(asio::buffer(trusted_pem));
  ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  // A peer cannot make us parse a long chain or a huge certificate list.
  SSL_CTX_set_max_cert_list(ctx.native_handle(), max_certificate_list);
  return ctx;
}

}  // namespace

tls_credentials tls_credentials::load(const std::filesystem::path& certificate, const std::filesystem::path& key) {
  return {read_file(certificate, "server certificate"), read_file(key, "server key")};
}

asio::ssl::context make_server_context(const tls_credentials& own, const std::string& root_ca_pem) {
  auto ctx = base_context(asio::ssl::context::tls_server, own, own.certificate_pem, root_ca_pem);
  // Stateless resumption would let a peer skip the certificate check on a
  // later connection; every connection proves its identity afresh.
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.native_handle(), 0);
  SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify_depth(ctx.native_handle(), server_verify_depth);
  return ctx;
}

asio::ssl::context make_client_context(const tls_credentials& own, const std::string& peer_sub_ca_pem,
                                       const std::string& peer_root_ca_pem) {
  std::string chain = own.certificate_pem;
  if (!chain.empty() && chain.back() != '\n') chain += '\n';
  chain += peer_sub_ca_pem;
  auto ctx = base_context(asio::ssl::context::tls_client, own, chain, peer_root_ca_pem);
  SSL_CTX_set_verify_depth(ctx.native_handle(), client_verify_depth);
  return ctx;
}

}  // namespace swpt::session

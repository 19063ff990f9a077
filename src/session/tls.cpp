#include "session/tls.hpp"

#include "session/chain_binding.hpp"

#include <asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace swpt::session {
namespace {

std::string read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw std::runtime_error(fmt::format("cannot read the {} file {}", what, path.string()));
  return std::move(text).str();
}

// The settings both ends share; the trust is each end's own.
asio::ssl::context base_context(asio::ssl::context::method method, const tls_credentials& own) {
  asio::ssl::context ctx{method};
  // TLS 1.3 or nothing (docs/swpt-stomp.md): no downgrade to what a peer offers.
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION) != 1)
    throw std::runtime_error("TLS 1.3 is not available");
  ctx.set_options(asio::ssl::context::no_compression);
  // An idle connection gives its record buffers back: a daemon holds
  // hundreds of mostly idle connections.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  ctx.use_certificate_chain(asio::buffer(own.certificate_pem));
  ctx.use_private_key(asio::buffer(own.private_key_pem), asio::ssl::context::pem);
  ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  // A peer cannot make us parse a long chain or a huge certificate list.
  SSL_CTX_set_max_cert_list(ctx.native_handle(), max_certificate_list);
  return ctx;
}

std::error_code last_tls_error() {
  const auto err = ERR_get_error();
  return {static_cast<int>(err != 0 ? err : ERR_R_INTERNAL_ERROR), asio::error::get_ssl_category()};
}

[[noreturn]] void throw_tls_error() { throw std::system_error{last_tls_error(), "client TLS context"}; }

struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

void chain_free(STACK_OF(X509) * chain) { sk_X509_pop_free(chain, X509_free); }

// Every certificate of a PEM text, as asio's context reads a file: text
// without any certificate is an error only where one is required.
std::vector<x509_ptr> read_certificates(std::string_view pem, bool at_least_one) {
  std::vector<x509_ptr> certificates;
  ERR_clear_error();
  if (pem.empty()) {
    if (at_least_one) throw std::system_error{std::make_error_code(std::errc::invalid_argument), "no certificate"};
    return certificates;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free};
  if (!bio) throw_tls_error();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certificates.emplace_back(x);
  const auto err = ERR_peek_last_error();
  const bool at_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (!at_end || (at_least_one && certificates.empty())) throw_tls_error();
  ERR_clear_error();
  return certificates;
}

std::array<unsigned char, 32> digest_of(const tls_credentials& own) {
  std::array<unsigned char, 32> digest{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  const auto length = [](const std::string& s) { return std::to_string(s.size()) + ':'; };
  const std::string cert_length = length(own.certificate_pem);
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(md.get(), cert_length.data(), cert_length.size()) != 1 ||
      EVP_DigestUpdate(md.get(), own.certificate_pem.data(), own.certificate_pem.size()) != 1 ||
      EVP_DigestUpdate(md.get(), own.private_key_pem.data(), own.private_key_pem.size()) != 1 ||
      EVP_DigestFinal_ex(md.get(), digest.data(), nullptr) != 1)
    throw_tls_error();
  return digest;
}

}  // namespace

tls_credentials tls_credentials::load(const std::filesystem::path& certificate, const std::filesystem::path& key) {
  return {read_file(certificate, "server certificate"), read_file(key, "server key")};
}

asio::ssl::context make_server_context(const tls_credentials& own, const std::string& root_ca_pem) {
  auto ctx = base_context(asio::ssl::context::tls_server, own);
  // The only trust anchor: no system store is ever loaded.
  ctx.add_certificate_authority(asio::buffer(root_ca_pem));
  // Stateless resumption would let a peer skip the certificate check on a
  // later connection; every connection proves its identity afresh.
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.native_handle(), 0);
  SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify_depth(ctx.native_handle(), server_verify_depth);
  return ctx;
}

std::shared_ptr<asio::ssl::context> make_client_base(const tls_credentials& own) {
  // Its certificate store stays empty: a connection without a client_tls's
  // part trusts nothing.
  auto ctx = std::make_shared<asio::ssl::context>(base_context(asio::ssl::context::tls_client, own));
  SSL_CTX_set_verify_depth(ctx->native_handle(), client_verify_depth);
  return ctx;
}

client_tls::client_tls(std::shared_ptr<asio::ssl::context> base, std::string_view peer_sub_ca_pem,
                       std::string_view peer_root_ca_pem)
    : base_{std::move(base)}, trusted_{X509_STORE_new(), X509_STORE_free}, chain_{sk_X509_new_null(), chain_free} {
  if (!trusted_ || !chain_) throw_tls_error();
  // The only trust anchor, as the server's: every certificate of the file.
  for (auto& root : read_certificates(peer_root_ca_pem, /*at_least_one=*/true))
    if (X509_STORE_add_cert(trusted_.get(), root.get()) != 1) throw_tls_error();
  // What our certificate file holds after the leaf, then the peer's sub-CA:
  // the order of one concatenated file.
  STACK_OF(X509)* own_chain = nullptr;
  SSL_CTX_get_extra_chain_certs(base_->native_handle(), &own_chain);
  for (int i = 0; own_chain != nullptr && i < sk_X509_num(own_chain); ++i) {
    X509* x = sk_X509_value(own_chain, i);
    if (X509_up_ref(x) != 1 || sk_X509_push(chain_.get(), x) == 0) throw_tls_error();
  }
  for (auto& sub_ca : read_certificates(peer_sub_ca_pem, /*at_least_one=*/false)) {
    if (sk_X509_push(chain_.get(), sub_ca.get()) == 0) throw_tls_error();
    sub_ca.release();
  }
  // A chain OpenSSL would refuse on a connection is refused here, once.
  std::unique_ptr<SSL, decltype(&SSL_free)> trial{SSL_new(base_->native_handle()), SSL_free};
  if (!trial) throw_tls_error();
  if (auto ec = apply(trial.get())) throw std::system_error{ec, "client TLS context"};
}

std::error_code client_tls::apply(SSL* ssl) const {
  ERR_clear_error();
  if (SSL_set1_verify_cert_store(ssl, trusted_.get()) != 1) return last_tls_error();
  // Without a chain, what OpenSSL would send is left as it is.
  if (sk_X509_num(chain_.get()) > 0 && SSL_set1_chain(ssl, chain_.get()) != 1) return last_tls_error();
  return {};
}

client_tls make_client_tls(const tls_credentials& own, std::string_view peer_sub_ca_pem,
                           std::string_view peer_root_ca_pem) {
  return client_tls{make_client_base(own), peer_sub_ca_pem, peer_root_ca_pem};
}

asio::ssl::context make_client_context(const tls_credentials& own, std::string_view peer_sub_ca_pem,
                                       std::string_view peer_root_ca_pem) {
  const auto tls = make_client_tls(own, peer_sub_ca_pem, peer_root_ca_pem);
  SSL_CTX* ctx = tls.context().native_handle();
  ERR_clear_error();
  if (SSL_CTX_set1_verify_cert_store(ctx, tls.trusted_.get()) != 1) throw_tls_error();
  if (sk_X509_num(tls.chain_.get()) > 0 && SSL_CTX_set1_chain(ctx, tls.chain_.get()) != 1) throw_tls_error();
  return std::move(tls.context());
}

std::shared_ptr<asio::ssl::context> client_base_cache::get(const tls_credentials& own) {
  const auto digest = digest_of(own);
  std::lock_guard lock{mutex_};
  if (auto base = base_.lock(); base && digest == digest_) return base;
  auto base = make_client_base(own);
  digest_ = digest;
  base_ = base;
  return base;
}

}  // namespace swpt::session

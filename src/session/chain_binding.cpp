#include "session/chain_binding.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace swpt::session {
namespace {

struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};

std::unique_ptr<X509, x509_free> first_certificate(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  std::unique_ptr<X509, x509_free> cert{PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)};
  BIO_free(bio);
  return cert;
}

}  // namespace

bool client_chain_is_bound(SSL* ssl, std::string_view peer_root_ca_pem) {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) != 3) return false;
  const auto peer_root = first_certificate(peer_root_ca_pem);
  if (!peer_root) return false;
  EVP_PKEY* issued_key = X509_get0_pubkey(sk_X509_value(chain, 1));
  EVP_PKEY* root_key = X509_get0_pubkey(peer_root.get());
  return issued_key != nullptr && root_key != nullptr && EVP_PKEY_eq(issued_key, root_key) == 1;
}

bool server_chain_is_bound(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  return chain != nullptr && sk_X509_num(chain) == 2;
}

}  // namespace swpt::session

#pragma once
// TLS contexts for the two ends of a Swaptacular STOMP connection
// (docs/swpt-stomp.md, docs/stomp.md §6): TLS 1.3 only, both sides present
// a certificate, and each side trusts exactly one root.

#include <asio/ssl/context.hpp>

#include <openssl/types.h>

#include <array>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

namespace swpt::session {

// The node's server certificate (PEM, possibly with a chain) and its
// unencrypted private key, read from SWPT_SERVER_CERT and SWPT_SERVER_KEY.
struct tls_credentials {
  std::string certificate_pem;
  std::string private_key_pem;

  // Throws std::runtime_error naming the file that cannot be read.
  static tls_credentials load(const std::filesystem::path& certificate, const std::filesystem::path& key);
};

// Accepts peers whose chain ends at our own root (root_ca_pem: the first
// certificate of the node's root-ca.crt); a client certificate is required.
// Throws std::system_error for unusable certificates or keys.
asio::ssl::context make_server_context(const tls_credentials& own, const std::string& root_ca_pem);

// The client side, split in two so that a daemon connecting to a thousand
// peers parses its own certificate and key once: the context holds our
// certificate chain and key, TLS 1.3 only, the verify depth and the bound
// on the server's certificate list, and trusts nothing; a client_tls adds,
// to each connection made from it, what belongs to one peer.
//
// Throws std::system_error for an unusable certificate or key.
std::shared_ptr<asio::ssl::context> make_client_base(const tls_credentials& own);

// The client for one peer: each connection presents our chain followed by
// the sub-CA certificate the peer issued to us and trusts only the peer's
// root. No host name check: the caller compares the peer's node ID instead.
class client_tls {
 public:
  // `base` from make_client_base; it may be shared with other peers. Throws
  // std::system_error for certificates that cannot be parsed or used.
  client_tls(std::shared_ptr<asio::ssl::context> base, std::string_view peer_sub_ca_pem,
             std::string_view peer_root_ca_pem);

  // What new connections are made from; apply() then gives them the peer's
  // part.
  asio::ssl::context& context() const noexcept { return *base_; }
  // Before the handshake of a connection made from context().
  std::error_code apply(SSL* ssl) const;

 private:
  std::shared_ptr<asio::ssl::context> base_;
  std::shared_ptr<X509_STORE> trusted_;     // the peer's root only
  std::shared_ptr<STACK_OF(X509)> chain_;   // after our leaf: our chain, then the peer's sub-CA

  friend asio::ssl::context make_client_context(const tls_credentials&, std::string_view, std::string_view);
};

// A client_tls with a context of its own (one peer: swpt-client, tests).
client_tls make_client_tls(const tls_credentials& own, std::string_view peer_sub_ca_pem,
                           std::string_view peer_root_ca_pem);

// The same as one self-contained context, for code that makes its own
// connections from an asio::ssl::context (test probes).
asio::ssl::context make_client_context(const tls_credentials& own, std::string_view peer_sub_ca_pem,
                                       std::string_view peer_root_ca_pem);

// The clients' shared base context, made again only when our certificate
// or key has changed (compared by a SHA-256 of their contents); kept only
// as long as some client_tls holds it. Thread-safe.
class client_base_cache {
 public:
  std::shared_ptr<asio::ssl::context> get(const tls_credentials& own);

 private:
  std::mutex mutex_;
  std::array<unsigned char, 32> digest_{};
  std::weak_ptr<asio::ssl::context> base_;
};

}  // namespace swpt::session

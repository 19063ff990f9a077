#pragma once
// TLS contexts for the two ends of a Swaptacular STOMP connection
// (docs/swpt-stomp.md, docs/stomp.md §6): TLS 1.3 only, both sides present
// a certificate, and each side trusts exactly one root.

#include <asio/ssl/context.hpp>

#include <filesystem>
#include <string>

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

// Connects to one peer: presents our server certificate followed by the
// sub-CA certificate the peer issued to us, trusts only the peer's root.
// No host name check: the caller compares the peer's node ID instead.
asio::ssl::context make_client_context(const tls_credentials& own, const std::string& peer_sub_ca_pem,
                                       const std::string& peer_root_ca_pem);

}  // namespace swpt::session

#pragma once
// The verified certificate chain of a TLS peer, held to the shape
// Swaptacular chains have (docs/certificates.md), so that a certificate
// issued under one peer's sub-CA can never pass for another peer, however
// loose that sub-CA's name constraints are.
//
// OpenSSL has already verified the chain up to the one trusted root; these
// checks add what the node database knows.

#include <openssl/types.h>

#include <string_view>

namespace swpt::session {

// Server side, for a client that claims to be the peer whose root-ca.crt
// is `peer_root_ca_pem`: the verified chain is exactly the client's leaf,
// the peer certificate we issued (an intermediate whose public key is the
// peer's root key), and our root.
bool client_chain_is_bound(SSL* ssl, std::string_view peer_root_ca_pem);

// Client side: the server's leaf is signed directly by the peer's root, the
// only certificate the client context trusts (a chain of two).
bool server_chain_is_bound(SSL* ssl);

// Verify depths that fit these chains (SSL_CTX_set_verify_depth counts the
// certificates between the leaf and the trust anchor), and a bound on a
// peer's certificate list: a Swaptacular chain is two or three certificates
// of a few KiB at most, far below OpenSSL's default of 100 KiB.
inline constexpr int server_verify_depth = 1;
inline constexpr int client_verify_depth = 0;
inline constexpr long max_certificate_list = 16 * 1024;

}  // namespace swpt::session

#pragma once
// Looking at a running daemon from outside: its TCP connections (from
// /proc, so a test can tell that a connection survived a reload or that a
// replica took over) and the certificate a fresh TLS handshake with its
// server gets.

#include "fixtures.hpp"

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>

namespace swpt::e2e {

// Local ports of the process's established TCP connections to
// `remote_port` on the loopback (IPv4 or IPv6); empty once it has ended.
std::set<std::uint16_t> connections_to(pid_t pid, std::uint16_t remote_port);

// A TLS 1.3 handshake with 127.0.0.1:`port` as `client` presents itself to
// the node `server_node` (its server certificate and the sub-CA certificate
// that node issued to it), without verifying the server: returns the DER of
// the server's certificate. Throws std::runtime_error when the handshake
// fails; every step is bounded by a few seconds.
std::string server_certificate_der(std::uint16_t port, const fixtures::network& net, const fixtures::node& client,
                                   const fixtures::node& server_node);

}  // namespace swpt::e2e

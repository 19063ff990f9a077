#pragma once
// Who is at the other end of a verified TLS connection.

#include <openssl/types.h>

#include <optional>
#include <string>

namespace swpt::session {

// The organization every Swaptacular certificate subject names.
inline constexpr const char* swaptacular_organization = "Swaptacular Nodes Registry";

// The node ID in a (verified) certificate's subject: its serialNumber,
// provided the subject has O = "Swaptacular Nodes Registry" and both
// attributes occur exactly once, each as a single-valued RDN. Anything else
// (a repeat, a multi-valued RDN holding either, another O) identifies no
// one: the strict rule of docs/stomp.md §6, not the original's scan.
std::optional<std::string> node_id_of(X509* certificate);

}  // namespace swpt::session

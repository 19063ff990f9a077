#pragma once
// The STOMP servers manifest a peer publishes (peers/<id>/nodeinfo/stomp.toml):
// where its servers listen and which CONNECT/SEND headers it expects.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swpt::nodedata {

struct server_address {
  std::string host;  // as written, including an optional trailing "."
  std::uint16_t port = 0;

  friend bool operator==(const server_address&, const server_address&) = default;
};

// Values ready for use: "${NODE_ID}" in host, destination and login is
// already replaced by the OWNER's node ID (the client's own ID).
struct stomp_manifest {
  std::vector<server_address> servers;  // non-empty; duplicates weigh the random choice
  std::string host;                     // CONNECT "host" header
  std::string destination;              // SEND "destination" header
  std::optional<std::string> login;     // CONNECT "login" header
  std::optional<std::string> passcode;  // CONNECT "passcode" header, NOT substituted
  std::vector<std::string> accepted_content_types;  // "application/json" always appended

  friend bool operator==(const stomp_manifest&, const stomp_manifest&) = default;
};

// Host name rules: one trailing "." is ignored, at most 253 characters,
// dot-separated labels of 1-63 characters of [A-Za-z0-9-] that neither start
// nor end with "-" (IPv4 dotted quads pass, IPv6 literals do not). Unlike the
// original, an empty host and a host with a newline are rejected.
bool is_valid_host(std::string_view host) noexcept;

// Decimal digits only (no sign, spaces or "_", unlike the original), 1-65535.
std::optional<std::uint16_t> parse_port(std::string_view text) noexcept;

// "host:port", split at the first ":".
std::optional<server_address> parse_server_address(std::string_view text);

// Parses TOML 1.0 text. Throws database_error naming `file_for_errors` for
// invalid TOML, a missing required key, a key of the wrong type or an
// invalid server entry, e.g. "<file>: servers[1]: invalid port \"0\"".
stomp_manifest parse_stomp_manifest(std::string_view toml_text, std::string_view owner_node_id,
                                    const std::filesystem::path& file_for_errors);

}  // namespace swpt::nodedata

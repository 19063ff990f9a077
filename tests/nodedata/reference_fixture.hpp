#pragma once
// The reference node databases of docs/node-database.md §10: an AA, a CA and a DA node
// under AA/, CA/ and DA/, each with its peers. Certificates are syntactically
// valid PEM blocks with fake content; nothing here checks cryptography.

#include <string>
#include <string_view>

#include "temp_tree.hpp"

namespace swpt::nodedata::testing {

inline constexpr std::string_view aa_id = "1234abcd";
inline constexpr std::string_view ca_id = "5921983fe0e6eb987aeedca54ad3c708";
inline constexpr std::string_view da_id = "060791aeca7637fa3357dfc0299fb4c5";
inline constexpr std::string_view deactivated_ca_id = "09cab36b6079e09c32a9dfd60446c469";
inline constexpr std::string_view deactivated_aa_id = "deac00ed";

// A PEM certificate block whose base64 body carries `tag` (base64
// characters only), so tests can tell blocks apart. Ends with "\n".
std::string pem_block(std::string_view tag);

// The files of a peer directory peers/<id>/ under `owner_dir`.
struct peer_files {
  std::string_view id, nodetype, stomp_toml;
  std::string_view subnet_file, subnet;  // subnet_file empty: none
  std::string_view state_file;           // "ACTIVE", "DEACTIVATED" or "" (registered only)
};
temp_tree::entries peer_entries(std::string_view owner_dir, const peer_files& peer);

temp_tree::entries reference_fixture();

}  // namespace swpt::nodedata::testing

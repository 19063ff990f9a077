#pragma once
// Node IDs: the names of the owner (db/nodeid) and of the peers/<id>
// directories. AA IDs are 8 lowercase hex digits (an AA's ID is also its
// debtors subnet); CA and DA IDs are 32 (half a SHA-256 of the public key).

#include <string_view>

#include "core/node_type.hpp"

namespace swpt::nodedata {

// 8 or 32 lowercase hex digits. Any string accepted here is safe to use as
// a single path component: no "/", ".", or empty string gets through.
bool is_node_id(std::string_view id) noexcept;

// The ID has the length required for a node of type `type`.
bool is_node_id_of(node_type type, std::string_view id) noexcept;

}  // namespace swpt::nodedata

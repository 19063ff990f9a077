#pragma once
// The three kinds of Swaptacular nodes and the names that depend on the kind.

#include <optional>
#include <string_view>

namespace swpt {

enum class node_type {
  accounting_authority,  // AA: manages debtors' accounts
  creditors_agent,       // CA: acts for creditors
  debtors_agent,         // DA: acts for debtors
};

// Parses the exact strings of db/nodetype and peers/<id>/nodetype.txt
// ("Accounting Authorities", "Creditors Agents", "Debtors Agents").
std::optional<node_type> parse_node_type(std::string_view text) noexcept;

// The inverse of parse_node_type; also the certificates' OU value.
std::string_view node_type_name(node_type t) noexcept;

// "aa", "ca" or "da": the short prefix used in queue and exchange names.
std::string_view node_type_prefix(node_type t) noexcept;

// The exchange into which the node's STOMP server publishes received
// messages: "accounts_in", "creditors_in" or "debtors_in".
std::string_view inbound_exchange(node_type t) noexcept;

}  // namespace swpt

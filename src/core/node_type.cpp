#include "core/node_type.hpp"

#include <array>

namespace swpt {
namespace {

struct names {
  std::string_view name, prefix, exchange;
};

constexpr std::array<names, 3> table{{
    {"Accounting Authorities", "aa", "accounts_in"},
    {"Creditors Agents", "ca", "creditors_in"},
    {"Debtors Agents", "da", "debtors_in"},
}};

constexpr const names& of(node_type t) noexcept {
  return table[static_cast<std::size_t>(t)];
}

}  // namespace

std::optional<node_type> parse_node_type(std::string_view text) noexcept {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == text) return static_cast<node_type>(i);
  return std::nullopt;
}

std::string_view node_type_name(node_type t) noexcept { return of(t).name; }
std::string_view node_type_prefix(node_type t) noexcept { return of(t).prefix; }
std::string_view inbound_exchange(node_type t) noexcept { return of(t).exchange; }

}  // namespace swpt

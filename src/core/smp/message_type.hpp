#pragma once
// The ten SMP message types and the direction each one travels: the "in"
// group goes to an accounting authority, the "out" group comes from one.

#include <cstddef>
#include <optional>
#include <string_view>

namespace swpt::smp {

enum class message_type {
  // "in": sent by creditors/debtors agents, accepted by accounting authorities.
  configure_account,
  prepare_transfer,
  finalize_transfer,
  // "out": sent by accounting authorities, accepted by creditors/debtors agents.
  rejected_config,
  rejected_transfer,
  prepared_transfer,
  finalized_transfer,
  account_update,
  account_purge,
  account_transfer,
};

inline constexpr std::size_t message_type_count = 10;

// "ConfigureAccount" -> configure_account. Exact, case-sensitive match.
std::optional<message_type> parse_message_type(std::string_view name) noexcept;

// The wire name: configure_account -> "ConfigureAccount".
std::string_view type_name(message_type type) noexcept;

enum class direction {
  to_authority,    // the "in" group
  from_authority,  // the "out" group
};

constexpr direction direction_of(message_type type) noexcept {
  return type <= message_type::finalize_transfer ? direction::to_authority : direction::from_authority;
}

}  // namespace swpt::smp

#include "core/smp/message_type.hpp"

#include <array>

namespace swpt::smp {
namespace {

// Indexed by message_type.
constexpr std::array<std::string_view, message_type_count> names = {
    "ConfigureAccount", "PrepareTransfer", "FinalizeTransfer", "RejectedConfig", "RejectedTransfer",
    "PreparedTransfer", "FinalizedTransfer", "AccountUpdate",  "AccountPurge",   "AccountTransfer",
};

}  // namespace

std::optional<message_type> parse_message_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<message_type>(i);
  }
  return std::nullopt;
}

std::string_view type_name(message_type type) noexcept {
  return names[static_cast<std::size_t>(type)];
}

}  // namespace swpt::smp

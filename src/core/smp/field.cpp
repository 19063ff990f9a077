#include "core/smp/field.hpp"

namespace swpt::smp {

std::optional<field> parse_field_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < detail::field_names.size(); ++i) {
    if (detail::field_names[i] == name) return static_cast<field>(i);
  }
  return std::nullopt;
}

}  // namespace swpt::smp

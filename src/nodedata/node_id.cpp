#include "nodedata/node_id.hpp"

#include <algorithm>
#include <cstddef>

namespace swpt::nodedata {
namespace {

constexpr std::size_t aa_id_length = 8;
constexpr std::size_t agent_id_length = 32;

bool is_lower_hex(std::string_view text) noexcept {
  return std::ranges::all_of(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

bool is_node_id(std::string_view id) noexcept {
  return (id.size() == aa_id_length || id.size() == agent_id_length) && is_lower_hex(id);
}

bool is_node_id_of(node_type type, std::string_view id) noexcept {
  const std::size_t length = type == node_type::accounting_authority ? aa_id_length : agent_id_length;
  return id.size() == length && is_lower_hex(id);
}

}  // namespace swpt::nodedata

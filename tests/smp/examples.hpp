#pragma once
// The valid example bodies of docs/smp-messages.md §5, as member lists that tests
// can change one member at a time, and helpers to write JSON bodies.

#include "core/smp/message.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace smp_test {

struct member {
  std::string key;
  std::string json;  // the value as JSON text
};
using members = std::vector<member>;

// Members in the original's emission order (§4), so body(example(t)) is the
// exact canonical one-line form.
const members& example(swpt::smp::message_type type);

// {"key": value, ...} with the original's separators.
std::string body(const members& ms);

// A copy with `key` set to `json` (in place when present, appended otherwise).
members with(members ms, std::string_view key, std::string json);
members without(members ms, std::string_view key);

// A JSON string literal of raw UTF-8 `text`: only '"', '\' and control
// characters are escaped, everything else goes in as raw bytes.
std::string quoted(std::string_view text);

std::string repeat(std::string_view unit, std::size_t times);

// Whether the members form a valid message of `type`.
bool valid(swpt::smp::message_type type, const members& ms);

// The type's example with one member changed.
bool valid_with(swpt::smp::message_type type, std::string_view key, std::string json);

// All ten types, in enum order.
const std::vector<swpt::smp::message_type>& all_types();

}  // namespace smp_test

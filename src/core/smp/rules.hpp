#pragma once
// How values are judged: one value against its schema row, and the
// cross-field rules of a whole message. Internal to the smp implementation.

#include "core/smp/message.hpp"
#include "core/smp/schema.hpp"

#include <cstdint>
#include <string_view>

namespace swpt::smp::detail {

bool check_integer(const field_rule& rule, std::int64_t number) noexcept;

// Finite and in range.
bool check_number(const field_rule& rule, double number) noexcept;

// Valid UTF-8, lengths, ASCII, and the row's text_check (`type` is the type
// of the message being checked, for text_check::type_name).
bool check_text(const field_rule& rule, std::string_view text, message_type type) noexcept;

// For message::make(): whether `v` is of the row's kind and valid. An integer
// for a float row is first converted to double in place.
bool admit(const field_rule& rule, value& v, message_type type) noexcept;

// The rules that span members (§3). Called once every member is valid.
bool cross_fields_ok(const message& m);

}  // namespace swpt::smp::detail

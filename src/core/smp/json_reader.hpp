#pragma once
// One pass over a JSON body, keeping the members a type's schema names.
// Internal to the smp implementation.

#include "core/smp/field.hpp"
#include "core/smp/message_type.hpp"

#include <span>
#include <string_view>

namespace swpt::smp::detail {

// Walks `body` once with RapidJSON's SAX reader and stores each schema
// member's value at its schema position in `values`. True when the body is a
// single JSON object (strict UTF-8, nothing but whitespace around it) whose
// schema members are all present and individually valid; for a repeated
// key the last occurrence decides. Cross-field rules are not checked here.
bool read_members(message_type type, std::string_view body, std::span<value> values);

}  // namespace swpt::smp::detail

#pragma once
// A validated SMP message (docs/smp-messages.md): parsed from a JSON body or built
// from values, then re-emitted byte-compatible with the original.
//
// Validity is all-or-nothing: every member of the type's schema present and
// valid, the cross-field rules of the type satisfied. Stricter than the
// original where docs/smp-messages.md allows it:
//  * integer members take JSON integers only (no 1.0, 1e3 or "12"); float
//    members take JSON numbers only (integers become doubles; no strings);
//  * every string in the body (keys and ignored members too) must be valid
//    UTF-8 after unescaping: a lone surrogate escape makes the body invalid;
//  * NaN and Infinity, and literals RapidJSON finds too big (an exponent
//    above 308, an integer of more than 308 digits), are JSON syntax errors,
//    even in members that would be ignored;
//  * nesting deeper than 64 levels, the root object included, is invalid (it
//    can only occur in ignored members; the bound protects the stack);
//  * the datetime and date rules of datetime.hpp.
// A naive datetime (no zone) is valid; see datetime.hpp.

#include "core/smp/datetime.hpp"
#include "core/smp/field.hpp"
#include "core/smp/message_type.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace swpt::smp {

// The most members a type has (AccountUpdate).
inline constexpr std::size_t max_fields_per_type = 26;

class message {
 public:
  // Validates `json_body` as a message of `type` (the type carried outside the
  // body: STOMP `type` header, AMQP `type` property); the body's own `type`
  // member must name the same type. Duplicate keys: the last one counts.
  // Unknown members are ignored and not kept. Nullopt when invalid for any
  // reason: the caller reports "Invalid <Type> message.".
  static std::optional<message> parse(message_type type, std::string_view json_body);

  // Builds a message from values and validates it like parse() does. Every
  // member of the schema must be given, except `type`, which is implied. An
  // integer given for a float member is converted; any other kind mismatch,
  // a member outside the schema, or an invalid value gives nullopt.
  static std::optional<message> make(message_type type, std::initializer_list<std::pair<field, value>> members);

  message_type type() const noexcept { return type_; }

  // Whether the type's schema has this member (then the message holds it).
  bool has(field f) const noexcept;

  // Typed access. Throws std::invalid_argument when the schema lacks the
  // member, std::bad_variant_access when the member is of another kind
  // (i64 serves i32 and i64 members; f64 float ones; str text ones).
  std::int64_t i64(field f) const;
  double f64(field f) const;
  const std::string& str(field f) const;
  const datetime& dt(field f) const;
  const date& day(field f) const;

  // Replaces an integer member, for creditor and coordinator ID translation.
  // Nothing is re-validated: meant for members without range (IDs), and the
  // caller keeps cross-field rules true (e.g. translates coordinator_id along
  // with creditor_id). Throws like i64().
  void set_i64(field f, std::int64_t v);

  // The body the original would emit (docs/smp-messages.md §4): one line, schema
  // members only, in the original's order.
  std::string to_json() const;
  void append_json(std::string& out) const;

  friend bool operator==(const message&, const message&) = default;

 private:
  explicit message(message_type type) noexcept : type_{type} {}

  std::size_t position(field f) const;

  message_type type_;
  // values_[i] belongs to row i of the type's schema; later slots stay unused.
  std::array<value, max_fields_per_type> values_{};
};

}  // namespace swpt::smp

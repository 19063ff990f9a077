#pragma once
// What each SMP message type contains (docs/smp-messages.md §3): one table per
// type, one row per member, rows in the order the original emits them (§4).
// Internal to the smp implementation.

#include "core/smp/field.hpp"
#include "core/smp/message_type.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

namespace swpt::smp::detail {

enum class value_kind : std::uint8_t {
  integer,  // i32 or i64 (the range tells which); held as std::int64_t
  number,   // float; held as double, always finite
  text,     // held as std::string, valid UTF-8
  datetime,
  date,
};

// Checks of text fields that lengths cannot express.
enum class text_check : std::uint8_t {
  none,
  type_name,    // equals the name of the message's type
  note_format,  // ^[0-9A-Za-z.-]{0,8}$
  sha256,       // ^([0-9A-F]{64}|[0-9a-f]{64})?$
  not_ok,       // anything but "OK"
};

// One member of a type, and what makes its value valid. Only the
// constraints of the row's kind are meaningful.
struct field_rule {
  field name;
  value_kind kind;
  // integer: inclusive range; `nonzero` additionally excludes 0
  std::int64_t min_integer = std::numeric_limits<std::int64_t>::min();
  std::int64_t max_integer = std::numeric_limits<std::int64_t>::max();
  bool nonzero = false;
  // number: inclusive range
  double min_number = -std::numeric_limits<double>::infinity();
  double max_number = std::numeric_limits<double>::infinity();
  // text: lengths in code points ("ch") and in UTF-8 bytes ("B")
  std::uint32_t min_chars = 0;
  std::uint32_t max_chars = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t max_bytes = std::numeric_limits<std::uint32_t>::max();
  bool ascii = false;
  text_check check = text_check::none;
};

std::span<const field_rule> schema_of(message_type type) noexcept;

// The position of a member in its type's table; nullopt when absent.
std::optional<std::size_t> position_of(std::span<const field_rule> schema, field name) noexcept;
std::optional<std::size_t> position_of(std::span<const field_rule> schema, std::string_view name) noexcept;

}  // namespace swpt::smp::detail

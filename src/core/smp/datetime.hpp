#pragma once
// Datetimes and dates as SMP messages carry them (docs/smp-messages.md §2.3, §2.4).
//
// Accepted datetime grammar (case-sensitive, ASCII digits only):
//   YYYY-M[M]-D[D] ('T'|' ') h[h]:m[m] [':' s[s] ['.' 1..12 digits]] ['Z'|±HH|±HHMM|±HH:MM]
// Only the first 6 fraction digits count (truncated, not rounded). The values
// must form a real date and time: years 0001..9999, hour 0-23, minute 0-59,
// second 0-59 (no leap second), offset minutes 0-59 and |offset| < 24 h.
// Stricter than the original on purpose: no trailing "\n", no Unicode digits,
// "+05:60" is rejected instead of being read as +06:00.
//
// A datetime without zone ("naive") is valid here and re-emitted without an
// offset; it has no UTC instant (utc_microseconds() is nullopt), which is why
// the STOMP server rejects a message whose `ts` is naive.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::smp {

// Plain fields; parse() and from_utc_microseconds() only produce values for
// which valid() holds. Equality is field by field: the same instant written
// with two different offsets compares unequal (it also re-emits differently).
struct datetime {
  int year = 1970, month = 1, day = 1;
  int hour = 0, minute = 0, second = 0, microsecond = 0;
  std::optional<int> offset_minutes = std::nullopt;  // east of UTC; nullopt = naive

  static std::optional<datetime> parse(std::string_view text) noexcept;

  // The instant `us` microseconds after the Unix epoch, with offset +00:00
  // (for generated messages: "now"). Precondition: it lies in years 1..9999.
  static datetime from_utc_microseconds(std::int64_t us) noexcept;

  bool valid() const noexcept;

  // Microseconds since the Unix epoch; nullopt when naive.
  std::optional<std::int64_t> utc_microseconds() const noexcept;

  // YYYY-MM-DDTHH:MM:SS[.ffffff][±HH:MM]: microseconds only when non-zero,
  // "Z" comes out as "+00:00", naive values without offset.
  std::string to_string() const;
  void append_to(std::string& out) const;

  friend bool operator==(const datetime&, const datetime&) = default;
};

// A calendar date, YYYY-M[M]-D[D] in (years 0001..9999), YYYY-MM-DD out.
struct date {
  int year = 1970, month = 1, day = 1;

  static std::optional<date> parse(std::string_view text) noexcept;

  bool valid() const noexcept;

  std::string to_string() const;
  void append_to(std::string& out) const;

  friend bool operator==(const date&, const date&) = default;
};

}  // namespace swpt::smp

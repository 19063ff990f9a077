#pragma once
// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates U+D800..U+DFFF,
// nothing above U+10FFFF, no stray or missing continuation bytes. STOMP
// header text and SMP strings are both held to it.

#include <cstddef>
#include <optional>
#include <string_view>

namespace swpt::utf8 {

// Decodes the code point at `pos` and advances past it; nullopt (with `pos`
// unchanged) when the bytes there are not strict UTF-8.
std::optional<char32_t> decode(std::string_view bytes, std::size_t& pos) noexcept;

// Whether all of `text` is strict UTF-8. ASCII runs are checked eight bytes
// at a time: header text is almost always ASCII.
bool is_valid(std::string_view text) noexcept;

struct summary {
  bool valid = false;
  bool ascii = false;  // every code point < 128 (meaningful only when valid)
  std::size_t code_points = 0;
};

summary inspect(std::string_view text) noexcept;

}  // namespace swpt::utf8

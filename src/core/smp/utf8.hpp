#pragma once
// Strict UTF-8 decoding for SMP text fields: what Python's str holds after
// json.loads, so code points (not bytes) are what "≤N ch" counts.

#include <cstddef>
#include <optional>
#include <string_view>

namespace swpt::smp::detail {

// Decodes the code point at `pos` and advances past it. Nullopt (with `pos`
// unchanged) for anything RFC 3629 forbids: overlong forms, surrogates
// U+D800..U+DFFF (which RapidJSON produces for a lone "\uDC00" escape),
// values above U+10FFFF, stray or missing continuation bytes.
std::optional<char32_t> decode_utf8(std::string_view bytes, std::size_t& pos) noexcept;

struct utf8_summary {
  bool valid = false;
  bool ascii = false;  // every code point < 128 (only meaningful when valid)
  std::size_t code_points = 0;
};

utf8_summary inspect_utf8(std::string_view bytes) noexcept;

}  // namespace swpt::smp::detail

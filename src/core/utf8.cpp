#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace swpt::utf8 {
namespace {

// The number of leading ASCII bytes of `text`, found a word at a time.
std::size_t ascii_prefix(std::string_view text) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & high_bits) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  return i;
}

}  // namespace

std::optional<char32_t> decode(std::string_view bytes, std::size_t& pos) noexcept {
  if (pos >= bytes.size()) return std::nullopt;
  const auto lead = static_cast<unsigned char>(bytes[pos]);
  std::size_t length;
  char32_t smallest;  // anything below is an overlong form
  char32_t cp;
  if (lead < 0x80) {
    ++pos;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, smallest = 0x80, cp = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, smallest = 0x800, cp = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, smallest = 0x10000, cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (bytes.size() - pos < length) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(bytes[pos + k]);
    if ((next & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (next & 0x3f);
  }
  if (cp < smallest || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += length;
  return cp;
}

bool is_valid(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    pos += ascii_prefix(text.substr(pos));
    if (pos < text.size() && !decode(text, pos)) return false;
  }
  return true;
}

summary inspect(std::string_view text) noexcept {
  summary s{.valid = true, .ascii = true, .code_points = 0};
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t run = ascii_prefix(text.substr(pos));
    pos += run;
    s.code_points += run;
    if (pos == text.size()) break;
    s.ascii = false;
    if (!decode(text, pos)) return summary{};
    ++s.code_points;
  }
  return s;
}

}  // namespace swpt::utf8

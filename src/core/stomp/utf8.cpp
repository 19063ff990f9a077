#include "core/stomp/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace swpt::stomp {
namespace {

constexpr std::uint64_t high_bits = 0x8080808080808080;

// The number of leading bytes of `text` that are ASCII, found eight at a time:
// header text is almost always ASCII, so this is where the time goes.
std::size_t ascii_prefix(std::string_view text) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & high_bits) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  return i;
}

bool is_continuation(unsigned char b) noexcept { return (b & 0xc0) == 0x80; }

// The length of the valid multi-byte sequence at `p` (at most `left` bytes
// available), or 0. The allowed second-byte ranges exclude overlongs (E0, F0),
// surrogates (ED) and code points above U+10FFFF (F4).
std::size_t sequence_length(const unsigned char* p, std::size_t left) noexcept {
  const unsigned char b0 = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) len = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) len = 3;
  else if (b0 >= 0xf0 && b0 <= 0xf4) len = 4;
  else return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
  if (b0 == 0xe0) lo = 0xa0;
  else if (b0 == 0xed) hi = 0x9f;
  else if (b0 == 0xf0) lo = 0x90;
  else if (b0 == 0xf4) hi = 0x8f;
  if (left < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (!is_continuation(p[k])) return 0;
  return len;
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    i += ascii_prefix(text.substr(i));
    if (i == text.size()) break;
    const std::size_t len = sequence_length(p + i, text.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace swpt::stomp

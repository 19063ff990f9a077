#include "core/smp/utf8.hpp"

namespace swpt::smp::detail {

std::optional<char32_t> decode_utf8(std::string_view bytes, std::size_t& pos) noexcept {
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

utf8_summary inspect_utf8(std::string_view bytes) noexcept {
  utf8_summary summary{.valid = true, .ascii = true, .code_points = 0};
  for (std::size_t pos = 0; pos < bytes.size(); ++summary.code_points) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    summary.ascii = false;
    if (!decode_utf8(bytes, pos)) return utf8_summary{};
  }
  return summary;
}

}  // namespace swpt::smp::detail

#include "core/subnet.hpp"

#include <fmt/format.h>

namespace swpt {

std::optional<subnet> subnet::parse(std::string_view hex) noexcept {
  if (hex.size() > 16 || hex.size() % 2 != 0) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : hex) {
    unsigned digit;
    if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    value = (value << 4) | digit;
  }
  if (hex.empty()) return subnet{};
  const unsigned shift = 64 - 4 * static_cast<unsigned>(hex.size());
  return subnet{shift == 64 ? 0 : value << shift, ~std::uint64_t{0} << shift};
}

std::string subnet::binding_key() const {
  std::string key;
  int bytes = 0;
  for (; bytes < 8; ++bytes) {
    const unsigned shift = 56 - 8 * static_cast<unsigned>(bytes);
    if (((mask_ >> shift) & 0xff) == 0) break;
    if (bytes > 0) key += '.';
    fmt::format_to(std::back_inserter(key), "{:02x}", (value_ >> shift) & 0xff);
  }
  if (bytes == 0) return "#";
  if (bytes < 8) key += ".#";
  return key;
}

std::optional<std::int64_t> subnet::translate(std::int64_t id, const subnet& to) const noexcept {
  if (mask_ != to.mask_ || !contains(id)) return std::nullopt;
  return static_cast<std::int64_t>(to.value_ | (static_cast<std::uint64_t>(id) & ~mask_));
}

std::string format_id(std::int64_t id) {
  return fmt::format("0x{:016x}", static_cast<std::uint64_t>(id));
}

}  // namespace swpt

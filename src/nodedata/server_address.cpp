#include <algorithm>
#include <charconv>
#include <cstddef>

#include "nodedata/stomp_manifest.hpp"

namespace swpt::nodedata {
namespace {

constexpr std::size_t max_host_length = 253;  // DNS name limit, without the root "."
constexpr std::size_t max_label_length = 63;

bool is_valid_label(std::string_view label) noexcept {
  return !label.empty() && label.size() <= max_label_length && label.front() != '-' && label.back() != '-' &&
         std::ranges::all_of(label, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
         });
}

}  // namespace

bool is_valid_host(std::string_view host) noexcept {
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.empty() || host.size() > max_host_length) return false;
  for (;;) {
    const std::size_t dot = host.find('.');
    if (!is_valid_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  if (text.empty() || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<server_address> parse_server_address(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view host = text.substr(0, colon);
  const auto port = parse_port(text.substr(colon + 1));
  if (!port || !is_valid_host(host)) return std::nullopt;
  return server_address{std::string{host}, *port};
}

}  // namespace swpt::nodedata

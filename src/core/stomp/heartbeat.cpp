#include "core/stomp/heartbeat.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace swpt::stomp {
namespace {

std::optional<milliseconds> parse_ms(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 12) return std::nullopt;  // 12 digits: over 31 years
  long long value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.front() == '-' || digits.front() == '+')
    return std::nullopt;
  return milliseconds{value};
}

milliseconds combine(milliseconds sender_can, milliseconds receiver_wants) noexcept {
  if (sender_can.count() == 0 || receiver_wants.count() == 0) return milliseconds{0};
  return std::max(sender_can, receiver_wants);
}

}  // namespace

std::optional<heartbeat_spec> parse_heartbeat(std::string_view text) noexcept {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto cx = parse_ms(text.substr(0, comma));
  const auto cy = parse_ms(text.substr(comma + 1));
  if (!cx || !cy) return std::nullopt;
  return heartbeat_spec{*cx, *cy};
}

std::string format_heartbeat(const heartbeat_spec& spec) {
  return fmt::format("{},{}", spec.send_min.count(), spec.recv_desired.count());
}

heartbeat_intervals negotiate(const heartbeat_spec& own, const heartbeat_spec& peer) noexcept {
  return {combine(own.send_min, peer.recv_desired), combine(peer.send_min, own.recv_desired)};
}

}  // namespace swpt::stomp

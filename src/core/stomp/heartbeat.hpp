#pragma once
// STOMP 1.2 heart-beating: the `heart-beat` header and its negotiation.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::stomp {

using std::chrono::milliseconds;

// One side's `heart-beat:cx,cy`: the smallest interval at which it can
// send, and the interval at which it wants to receive (0 = never).
struct heartbeat_spec {
  milliseconds send_min{0};
  milliseconds recv_desired{0};

  friend bool operator==(const heartbeat_spec&, const heartbeat_spec&) = default;
};

// Parses "cx,cy": exactly two runs of decimal digits. The original also
// takes signs, spaces and underscores; STOMP 1.2 does not, and neither do we.
std::optional<heartbeat_spec> parse_heartbeat(std::string_view text) noexcept;

std::string format_heartbeat(const heartbeat_spec& spec);

struct heartbeat_intervals {
  milliseconds send{0};     // write a heart-beat this often (0 = never)
  milliseconds receive{0};  // expect data at least this often (0 = don't watch)

  friend bool operator==(const heartbeat_intervals&, const heartbeat_intervals&) = default;
};

// The STOMP 1.2 rule: each direction uses the larger of what the sender can
// do and what the receiver wants, or nothing when either side says 0.
heartbeat_intervals negotiate(const heartbeat_spec& own, const heartbeat_spec& peer) noexcept;

}  // namespace swpt::stomp

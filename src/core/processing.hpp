#pragma once
// What happens to an SMP message between STOMP and RabbitMQ, in both
// directions (docs/message-processing.md): the checks, the creditors-agent
// masquerading of creditor IDs, the AMQP headers and the routing key.
// Pure functions of their arguments: no I/O, no clock.

#include "core/node_type.hpp"
#include "core/result.hpp"
#include "core/smp/message.hpp"
#include "core/subnet.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace swpt {

// The two sides of one peering and the ID ranges each side is responsible
// for (docs/message-processing.md §1; the node database derives them).
struct peer_context {
  node_type owner_type;
  node_type peer_type;
  subnet owner_creditors, owner_debtors;
  subnet peer_creditors, peer_debtors;
  std::string peer_id{};  // the peer's node ID: the `peer` of log lines about its messages
};

// An AMQP header value; the AMQP layer picks the smallest wire type for
// integers. Booleans must stay booleans: node applications bind headers
// exchanges on `ca-creditors: true`, and that match is type-sensitive.
using header_value = std::variant<std::int64_t, bool, std::string>;

// What the STOMP server publishes for one received message.
struct publication {
  std::string_view exchange;  // the owner's *_in exchange
  std::string routing_key;
  smp::message_type type;
  std::string body;  // the re-emitted (and possibly translated) JSON
  std::vector<std::pair<std::string_view, header_value>> headers;  // in wire order
  std::string peer{};  // peer_context::peer_id: for log lines, not published
};

inline constexpr std::string_view json_content_type = "application/json";

// Largest accepted distance of a message's `ts` into the future: a peer
// whose clock runs ahead by more than this is refused.
inline constexpr std::chrono::seconds max_clock_skew{7200};

// Server side: checks a message received from the peer and turns it into
// the publication for the owner's exchange. The failure reason is the text
// of the ERROR frame the peer gets.
//
// Unlike the original, a `ts` without a zone offset is reported as an
// invalid message rather than an internal error: it cannot be compared with
// the clock, and it is the peer's message that is wrong.
result<publication> process_received(const peer_context& ctx, std::string_view content_type,
                                     std::string_view type, std::string_view body,
                                     std::chrono::system_clock::time_point now);

// The checks of process_received from step 4 on, for a message that is
// already parsed (the drainer publishes generated responses this way).
result<publication> publication_for(const peer_context& ctx, smp::message msg,
                                    std::chrono::system_clock::time_point now);

// Client side: checks a message taken from the owner's queue for the peer
// and returns the body to send, translated into the peer's numbering.
result<std::string> process_outgoing(const peer_context& ctx, std::string_view content_type,
                                     std::string_view type, std::string_view body);

// The same, returning the parsed and translated message.
result<smp::message> prepare_outgoing(const peer_context& ctx, std::string_view content_type,
                                      std::string_view type, std::string_view body);

}  // namespace swpt

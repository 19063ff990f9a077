#pragma once
// What the end-to-end benchmark puts into a sending node's queue, as a node
// application would publish it: by default valid PrepareTransfer messages
// of about 400 bytes from a creditors agent; with a mix, the message types
// one direction of a peering carries, in the proportions an operator would
// see (bench_messages.cpp says which). Also the helpers that fill a queue
// with them (publisher confirms, so that every message is stored before the
// measurement starts).

#include "amqp/connection.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::bench {

// The debtor of every message: the accounting authority 1234abcd's first
// debtor (0x1234abcd00000001).
inline constexpr std::int64_t debtor_id = 0x1234abcd00000001;

// The first creditor ID of the PrepareTransfer-only fill, in the creditors
// agent's own numbering (its creditors subnet 000008); message n (from 0)
// uses first_creditor_id + n.
inline constexpr std::int64_t first_creditor_id = 0x0000080000000001;

// Which messages fill a queue.
enum class mix {
  prepare_transfer,  // only PrepareTransfer, creditors agent -> accounting authority
  ca_aa,             // ConfigureAccount, PrepareTransfer, FinalizeTransfer
  aa_ca,             // the seven types an accounting authority sends a creditors agent
};

// "prepare-transfer", "ca-aa" or "aa-ca"; throws std::invalid_argument.
mix parse_mix(std::string_view text);

// The peering of the swpt-gen-nodedata trio the messages fit: the creditors
// agent numbers its creditors in subnet 000008, the accounting authority
// 1234abcd gave it subnet 000001. Mixed messages use ordinary creditor
// accounts (bits 32-39 not zero, so not the system accounts of circular
// trades): message n (from 0) has creditor ID first_creditor(m) + n, in the
// sender's numbering.
std::int64_t first_creditor(mix m);

struct message {
  std::string_view type;  // the SMP type (AMQP `type` property)
  std::int64_t creditor_id = 0;
  std::string body;  // canonical JSON (docs/smp-messages.md §4 member order)
};

// Message n (from 0) of a mix; `ts` is every message's `ts` member.
message make_message(mix m, std::uint64_t n, std::string_view ts);

// The routing key the sender's application publishes a message with
// (docs/rabbitmq-topology.md §2): to creditors_out the debtor ID, to
// to_creditors the creditor ID, as 8 dotted hex bytes.
std::string application_routing_key(mix m, const message& msg);

// The current UTC time as an SMP datetime with microseconds
// ("2024-05-01T10:00:00.123456+00:00").
std::string now_timestamp();

// A PrepareTransfer body in the members' canonical order: coordinator
// direct, coordinator_id = creditor_id, about 400 bytes.
std::string prepare_transfer(std::int64_t creditor_id, std::int64_t request_id, std::string_view ts);

// Publishes `count` messages of `m` (messages first ... first + count - 1)
// to `exchange`, mandatory and persistent, type the SMP type, content type
// application/json, and waits until the broker confirmed all of them.
// `routing_key`: the same for every message, or, without one, each
// message's application_routing_key. Throws amqp::error when one is returned or
// nacked. `c` must not be in confirm mode yet. Returns how many messages
// of each type it published.
std::map<std::string_view, std::uint64_t> fill(amqp::connection& c, std::string_view exchange, std::optional<std::string_view> routing_key,
          std::uint64_t count, mix m = mix::prepare_transfer, std::uint64_t first = 0);

// Parses a positive integer option value; throws std::invalid_argument.
std::uint64_t parse_count(std::string_view text, std::string_view what);

}  // namespace swpt::bench

#pragma once
// What the end-to-end benchmark puts into a sending node's queue: valid
// PrepareTransfer messages of about 400 bytes, as a creditors agent's
// application would publish them, and the helpers that fill a queue with
// them (publisher confirms, so that every message is stored before the
// measurement starts).

#include "amqp/connection.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace swpt::bench {

// The debtor of every message: the accounting authority 1234abcd's first
// debtor (0x1234abcd00000001).
inline constexpr std::int64_t debtor_id = 0x1234abcd00000001;

// The first creditor ID in the creditors agent's own numbering (its
// creditors subnet 000008); message n (from 0) uses first_creditor_id + n.
inline constexpr std::int64_t first_creditor_id = 0x0000080000000001;

// The current UTC time as an SMP datetime with microseconds
// ("2024-05-01T10:00:00.123456+00:00").
std::string now_timestamp();

// A PrepareTransfer body in the members' canonical order: coordinator
// direct, coordinator_id = creditor_id, about 400 bytes.
std::string prepare_transfer(std::int64_t creditor_id, std::int64_t request_id, std::string_view ts);

// Publishes `count` messages (creditor IDs first_creditor_id + first ...)
// to `exchange` with `routing_key`, mandatory and persistent, type
// PrepareTransfer, content type application/json, and waits until the
// broker confirmed all of them. Throws amqp::error when one is returned or
// nacked. `c` must not be in confirm mode yet.
void fill(amqp::connection& c, std::string_view exchange, std::string_view routing_key, std::uint64_t count,
          std::uint64_t first = 0);

// Parses a positive integer option value; throws std::invalid_argument.
std::uint64_t parse_count(std::string_view text, std::string_view what);

}  // namespace swpt::bench

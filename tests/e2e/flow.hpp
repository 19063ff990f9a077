#pragma once
// Messages through a pair of nodes: what the sending node's applications
// publish to its main exchange, and what must then come out of the
// receiving node's *_in exchange (exchange, routing key, properties,
// headers in wire order, re-emitted and translated body). Compared as
// one-line descriptions, so a failure shows what is missing and what came
// instead.

#include "broker.hpp"
#include "messages.hpp"
#include "process.hpp"

#include "core/node_type.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace swpt::e2e {

struct expected_message {
  std::string exchange;
  std::string routing_key;
  std::string type;
  std::string body;
  std::vector<std::string> headers;  // header::to_string() forms, wire order
};

struct planned {
  std::string type;
  std::string body;      // as the sending node's application publishes it
  std::string main_key;  // its routing key on the sending node's main exchange
  expected_message expected;
};

// Generated messages, `per_type` of each of `types`, IDs numbered from
// `first` on (every message differs). Sending node's numbering in `body`,
// receiving node's in `expected` (for a CA, its own creditors subnet 000008
// against the masquerading subnet 000001 its AA knows).
std::vector<planned> plan_ca_to_aa(const std::vector<std::string>& types, int per_type, std::int64_t first = 1);
std::vector<planned> plan_aa_to_ca(const std::vector<std::string>& types, int per_type, std::int64_t first = 1);
std::vector<planned> plan_da_to_aa(const std::vector<std::string>& types, int per_type, std::int64_t first = 1);
std::vector<planned> plan_aa_to_da(const std::vector<std::string>& types, int per_type, std::int64_t first = 1);

// The server's message for a body already in the receiving owner's
// numbering: exchange, routing key and headers of docs/message-processing.md §3–§5.
expected_message expect_at(node_type owner, std::string_view type, const smp_ids& ids);

// 000008xxxxxxxxxx <-> 000001xxxxxxxxxx: a CA creditor ID from its own
// numbering into the AA's and back (the 24-bit prefix is swapped).
std::int64_t masquerade(std::int64_t id, std::uint64_t from_prefix, std::uint64_t to_prefix);
inline constexpr std::uint64_t ca_own_prefix = 0x000008;
inline constexpr std::uint64_t ca_masq_prefix = 0x000001;

// docs/rabbitmq-topology.md §2: the main exchange of an owner for a peer type
// (to_creditors, to_debtors, creditors_out with its alternate exchange,
// debtors_out) and the objects configure-queue makes for one queue.
struct exchange_spec {
  std::string name;
  std::string type;
  table args;
};
exchange_spec main_exchange(node_type owner, node_type peer);
// Redeclares every object configure-queue must have made with the spec's
// type and arguments (the broker refuses any difference) and returns the
// refusals; empty when the topology is right.
std::vector<std::string> topology_refusals(broker_client& c, node_type owner, node_type peer,
                                           const std::string& peer_id, const std::string& queue);

// The receiving node's *_in exchange as its applications declare it
// (accounts_in and debtors_in topic, creditors_in headers), with a durable
// test queue `received_queue` bound to get every message.
inline const std::string received_queue = "e2e.received";
void bind_inbound(broker_client& c, node_type owner);

// Publishes every message to `exchange` (type and content type set,
// persistent) and waits for the broker's confirms.
void publish_plan(broker_client& c, const std::string& exchange, const std::vector<planned>& plan);

// "exchange=… key=… type=… content_type=… delivery_mode=… priority=…
// app_id=… properties=[…] headers=[…] body=…"
std::string describe(const message& m);
std::string describe(const expected_message& e);  // as the spec's server publishes it

struct comparison {
  std::vector<std::string> missing;     // expected, not received (as often)
  std::vector<std::string> unexpected;  // received, not expected (or more often)
  bool ok() const noexcept { return missing.empty() && unexpected.empty(); }
  std::string summary(std::size_t shown = 5) const;
};
// Multiset comparison; with `at_least_once`, repeats of an expected message
// are fine (each expected one must still come at least as often as listed).
comparison compare(const std::vector<expected_message>& expected, const std::vector<message>& got,
                   bool at_least_once = false);
std::vector<expected_message> expectations(const std::vector<planned>& plan);

// Takes messages out of `queue` (basic.get), appending them to `got`,
// until `done()` holds (returns true; checked after each message) or
// `limit` passes (false).
// Reconnects when the connection breaks (a broker restart).
bool take_until(const std::string& url, const std::string& queue, std::vector<message>& got,
                const std::function<bool()>& done, duration limit);

}  // namespace swpt::e2e

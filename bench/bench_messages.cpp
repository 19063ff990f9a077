#include "bench_messages.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <ctime>
#include <stdexcept>

namespace swpt::bench {

namespace {

// The proportions an operator of a busy creditors agent would see; each
// cycle is repeated over the queue, its types spread out as they come.
//
// Creditors agent -> accounting authority, per 10 messages: every transfer
// a creditor starts is a PrepareTransfer (5); 4 in 5 of them get prepared
// and are then finalized with a FinalizeTransfer (4); an account being
// created or reconfigured sends a ConfigureAccount (1).
constexpr std::array<std::string_view, 10> ca_aa_cycle{
    "PrepareTransfer", "FinalizeTransfer", "PrepareTransfer", "FinalizeTransfer", "ConfigureAccount",
    "PrepareTransfer", "FinalizeTransfer", "PrepareTransfer", "FinalizeTransfer", "PrepareTransfer",
};

// Accounting authority -> creditors agent, per 20 messages, the answers to
// the above: 4 PreparedTransfer and 1 RejectedTransfer per 5 transfers, 4
// FinalizedTransfer; every committed transfer changes an account, so an
// AccountTransfer (4) and an AccountUpdate (5: one more for the periodic
// heartbeat updates). RejectedConfig and AccountPurge are rare in practice;
// they get 1 each so that every type is in every run.
constexpr std::array<std::string_view, 20> aa_ca_cycle{
    "PreparedTransfer",  "AccountUpdate",    "FinalizedTransfer", "AccountTransfer", "PreparedTransfer",
    "AccountUpdate",     "FinalizedTransfer", "AccountTransfer",  "RejectedTransfer", "AccountUpdate",
    "PreparedTransfer",  "FinalizedTransfer", "AccountTransfer",  "AccountUpdate",    "PreparedTransfer",
    "FinalizedTransfer", "AccountTransfer",   "AccountUpdate",    "RejectedConfig",   "AccountPurge",
};

std::string dotted_hex(std::int64_t id) {
  const auto u = static_cast<std::uint64_t>(id);
  return fmt::format("{:02x}.{:02x}.{:02x}.{:02x}.{:02x}.{:02x}.{:02x}.{:02x}", u >> 56, (u >> 48) & 0xff,
                     (u >> 40) & 0xff, (u >> 32) & 0xff, (u >> 24) & 0xff, (u >> 16) & 0xff, (u >> 8) & 0xff,
                     u & 0xff);
}

// A valid body of `type` in the canonical member order (docs/smp-messages.md
// §4): the fixed values of §5, every datetime that is recent in practice
// set to `ts`, the coordinator always the creditor itself ("direct"), and
// request IDs, transfer IDs and sequence numbers n (from 1).
std::string body(std::string_view type, std::int64_t creditor, std::int64_t n, std::string_view ts) {
  const auto head = fmt::format(R"("type": "{}", "debtor_id": {}, "creditor_id": {})", type, debtor_id, creditor);
  const auto coordinator =
      fmt::format(R"("coordinator_type": "direct", "coordinator_id": {}, "coordinator_request_id": {})", creditor, n);
  constexpr std::string_view note = R"("transfer_note_format": "", "transfer_note": "Payment for services")";
  if (type == "PrepareTransfer") return prepare_transfer(creditor, n, ts);
  if (type == "ConfigureAccount")
    return fmt::format(R"({{{}, "negligible_amount": 1000.0, "config_data": "", "config_flags": 0, )"
                       R"("seqnum": {}, "ts": "{}"}})",
                       head, n % 0x7fffffff, ts);
  if (type == "FinalizeTransfer")
    return fmt::format(R"({{{}, {}, {}, "transfer_id": {}, "committed_amount": 1500, "ts": "{}"}})", note, head,
                       coordinator, n, ts);
  if (type == "RejectedConfig")
    return fmt::format(R"({{{}, "config_ts": "{}", "config_seqnum": {}, "config_flags": 0, "config_data": "", )"
                       R"("negligible_amount": 1000.0, "rejection_code": "NO_CONNECTION_TO_DEBTOR", "ts": "{}"}})",
                       head, ts, n % 0x7fffffff, ts);
  if (type == "RejectedTransfer")
    return fmt::format(R"({{{}, {}, "status_code": "INSUFFICIENT_AVAILABLE_AMOUNT", "total_locked_amount": 0, )"
                       R"("ts": "{}"}})",
                       head, coordinator, ts);
  if (type == "PreparedTransfer")
    return fmt::format(R"({{{}, {}, "transfer_id": {}, "locked_amount": 2000, "recipient": "{:016x}{:016x}", )"
                       R"("prepared_at": "{}", "demurrage_rate": -50.0, "deadline": "2100-01-01T00:00:00+00:00", )"
                       R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "ts": "{}"}})",
                       head, coordinator, n, static_cast<std::uint64_t>(debtor_id),
                       static_cast<std::uint64_t>(creditor), ts, ts);
  if (type == "FinalizedTransfer")
    return fmt::format(R"({{{}, {}, "transfer_id": {}, "committed_amount": 1500, "status_code": "OK", )"
                       R"("total_locked_amount": 0, "prepared_at": "{}", "ts": "{}"}})",
                       head, coordinator, n, ts, ts);
  if (type == "AccountUpdate")
    return fmt::format(
        R"({{{}, "creation_date": "2023-01-01", "last_change_ts": "{}", "last_change_seqnum": {}, )"
        R"("principal": 1500, "interest": 0.0, "interest_rate": 0.0, )"
        R"("last_interest_rate_change_ts": "1970-01-01T00:00:00+00:00", )"
        R"("last_config_ts": "2023-01-01T12:00:00+00:00", "last_config_seqnum": 1, "negligible_amount": 1000.0, )"
        R"("config_flags": 0, "config_data": "", "account_id": "{}", "debtor_info_iri": "https://example.com/debtor", )"
        R"("debtor_info_content_type": "application/vnd.swaptacular.coin-info+json", )"
        R"("debtor_info_sha256": "{:064x}", "last_transfer_number": {}, "last_transfer_committed_at": "{}", )"
        R"("demurrage_rate": -50.0, "commit_period": 2592000, "transfer_note_max_bytes": 500, "ts": "{}", )"
        R"("ttl": 2592000}})",
        head, ts, n % 0x7fffffff, creditor, 0, n, ts, ts);
  if (type == "AccountPurge")
    return fmt::format(R"({{{}, "creation_date": "2023-01-01", "ts": "{}"}})", head, ts);
  if (type == "AccountTransfer")
    return fmt::format(R"({{{}, {}, "coordinator_type": "direct", "creation_date": "2023-01-01", )"
                       R"("transfer_number": {}, "sender": "{}", "recipient": "{}", "acquired_amount": 1500, )"
                       R"("committed_at": "{}", "principal": 1500, "ts": "{}", "previous_transfer_number": {}}})",
                       note, head, n, creditor + 1, creditor, ts, ts, n - 1);
  throw std::invalid_argument{fmt::format("no SMP message type {}", type)};
}

}  // namespace

mix parse_mix(std::string_view text) {
  if (text == "prepare-transfer") return mix::prepare_transfer;
  if (text == "ca-aa") return mix::ca_aa;
  if (text == "aa-ca") return mix::aa_ca;
  throw std::invalid_argument{fmt::format("not prepare-transfer, ca-aa or aa-ca: {}", text)};
}

std::int64_t first_creditor(mix m) {
  switch (m) {
    case mix::prepare_transfer:
      return first_creditor_id;
    case mix::ca_aa:
      return 0x0000080100000001;  // the agent's own numbering
    case mix::aa_ca:
      return 0x0000010100000001;  // the authority's numbering of the agent's creditors
  }
  throw std::invalid_argument{"bad mix"};
}

message make_message(mix m, std::uint64_t n, std::string_view ts) {
  const std::int64_t creditor = first_creditor(m) + static_cast<std::int64_t>(n);
  const std::string_view type = m == mix::ca_aa   ? ca_aa_cycle[n % ca_aa_cycle.size()]
                                : m == mix::aa_ca ? aa_ca_cycle[n % aa_ca_cycle.size()]
                                                  : "PrepareTransfer";
  // From 1: AccountTransfer needs transfer_number >= 1 > previous_transfer_number.
  return {type, creditor, body(type, creditor, static_cast<std::int64_t>(n) + 1, ts)};
}

std::string application_routing_key(mix m, const message& msg) {
  return dotted_hex(m == mix::aa_ca ? msg.creditor_id : debtor_id);
}

std::string now_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

std::string prepare_transfer(std::int64_t creditor_id, std::int64_t request_id, std::string_view ts) {
  // The recipient is an account identifier the accounting authority gave
  // out; 32 characters bring the body to about 410 bytes.
  return fmt::format(
      R"({{"type": "PrepareTransfer", "debtor_id": {}, "creditor_id": {}, "coordinator_type": "direct", )"
      R"("coordinator_id": {}, "coordinator_request_id": {}, "min_locked_amount": 1000, )"
      R"("max_locked_amount": 2000, "recipient": "{:016x}{:016x}", )"
      R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, "ts": "{}"}})",
      debtor_id, creditor_id, creditor_id, request_id, static_cast<std::uint64_t>(debtor_id),
      static_cast<std::uint64_t>(creditor_id), ts);
}

std::map<std::string_view, std::uint64_t> fill(amqp::connection& c, std::string_view exchange,
                                               std::optional<std::string_view> routing_key, std::uint64_t count,
                                               mix m, std::uint64_t first) {
  constexpr std::uint64_t window = 1000;  // unconfirmed publishes at a time
  c.enable_confirms();
  const std::string ts = now_timestamp();
  std::uint64_t published = 0, confirmed = 0;
  std::map<std::string_view, std::uint64_t> types;
  while (confirmed < count) {
    while (published < count && published - confirmed < window) {
      const message msg = make_message(m, first + published, ts);
      const std::string key = routing_key ? std::string{*routing_key} : application_routing_key(m, msg);
      c.publish(exchange, key, {"application/json", msg.type, nullptr}, msg.body, /*mandatory=*/true);
      ++published;
      ++types[msg.type];
    }
    auto frame = c.poll(std::chrono::seconds{30});
    if (!frame) throw amqp::error{"filling: no confirmation from the broker in 30 s"};
    if (frame->frame_type != AMQP_FRAME_METHOD) continue;
    switch (frame->payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* a = static_cast<const amqp_basic_ack_t*>(frame->payload.method.decoded);
        // Confirmations come in order on one channel and one queue.
        confirmed = a->multiple != 0 ? a->delivery_tag : confirmed + 1;
        break;
      }
      case AMQP_BASIC_NACK_METHOD:
        throw amqp::error{"filling: the broker nacked a message"};
      case AMQP_BASIC_RETURN_METHOD: {
        const auto returned = c.read_content(*frame);
        throw amqp::error{fmt::format("filling: a message to {} with routing key {} was returned (nothing bound)",
                                      returned.exchange, returned.routing_key)};
      }
      default:
        break;
    }
    c.release_buffers();
  }
  return types;
}

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0)
    throw std::invalid_argument{fmt::format("{}: not a positive integer: {}", what, text)};
  return value;
}

}  // namespace swpt::bench

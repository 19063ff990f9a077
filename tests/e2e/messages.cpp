#include "messages.hpp"

#include "broker.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace swpt::e2e {

bool has_coordinator_id(std::string_view type) {
  return type == "PrepareTransfer" || type == "FinalizeTransfer" || type == "RejectedTransfer" ||
         type == "PreparedTransfer" || type == "FinalizedTransfer";
}

std::string smp_body(std::string_view type, const smp_ids& ids) {
  // {0} debtor_id, {1} creditor_id, {2} coordinator_type, {3} coordinator_id
  std::string_view form;
  if (type == "ConfigureAccount")
    form = R"({{"type": "ConfigureAccount", "debtor_id": {0}, "creditor_id": {1}, "negligible_amount": 1000.0, )"
           R"("config_data": "", "config_flags": 0, "seqnum": 1, "ts": "2023-01-01T12:00:00+00:00"}})";
  else if (type == "PrepareTransfer")
    form = R"({{"type": "PrepareTransfer", "debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", )"
           R"("coordinator_id": {3}, "coordinator_request_id": 1111, "min_locked_amount": 1000, )"
           R"("max_locked_amount": 2000, "recipient": "RECIPIENT", )"
           R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, )"
           R"("ts": "2023-01-01T12:00:00+00:00"}})";
  else if (type == "FinalizeTransfer")
    form = R"({{"transfer_note_format": "", "transfer_note": "Payment for services", "type": "FinalizeTransfer", )"
           R"("debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", "coordinator_id": {3}, )"
           R"("coordinator_request_id": 1111, "transfer_id": 12345, "committed_amount": 1500, )"
           R"("ts": "2023-01-01T12:00:05+00:00"}})";
  else if (type == "RejectedConfig")
    form = R"({{"type": "RejectedConfig", "debtor_id": {0}, "creditor_id": {1}, )"
           R"("config_ts": "2023-01-01T12:00:00+00:00", "config_seqnum": 1, "config_flags": 0, "config_data": "", )"
           R"("negligible_amount": 1000.0, "rejection_code": "NO_CONNECTION_TO_DEBTOR", )"
           R"("ts": "2023-01-01T12:00:01+00:00"}})";
  else if (type == "RejectedTransfer")
    form = R"({{"type": "RejectedTransfer", "debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", )"
           R"("coordinator_id": {3}, "coordinator_request_id": 1111, )"
           R"("status_code": "INSUFFICIENT_AVAILABLE_AMOUNT", "total_locked_amount": 0, )"
           R"("ts": "2023-01-01T12:00:01+00:00"}})";
  else if (type == "PreparedTransfer")
    form = R"({{"type": "PreparedTransfer", "debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", )"
           R"("coordinator_id": {3}, "coordinator_request_id": 1111, "transfer_id": 12345, "locked_amount": 2000, )"
           R"("recipient": "RECIPIENT", "prepared_at": "2023-01-01T12:00:01+00:00", "demurrage_rate": -50.0, )"
           R"("deadline": "2023-01-02T12:00:01+00:00", "final_interest_rate_ts": "9999-12-31T23:59:59+00:00", )"
           R"("ts": "2023-01-01T12:00:01+00:00"}})";
  else if (type == "FinalizedTransfer")
    form = R"({{"type": "FinalizedTransfer", "debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", )"
           R"("coordinator_id": {3}, "coordinator_request_id": 1111, "transfer_id": 12345, )"
           R"("committed_amount": 1500, "status_code": "OK", "total_locked_amount": 0, )"
           R"("prepared_at": "2023-01-01T12:00:01+00:00", "ts": "2023-01-01T12:00:06+00:00"}})";
  else if (type == "AccountUpdate")
    form = R"({{"type": "AccountUpdate", "debtor_id": {0}, "creditor_id": {1}, "creation_date": "2023-01-01", )"
           R"("last_change_ts": "2023-01-01T12:00:06+00:00", "last_change_seqnum": 3, "principal": 1500, )"
           R"("interest": 0.0, "interest_rate": 0.0, "last_interest_rate_change_ts": "1970-01-01T00:00:00+00:00", )"
           R"("last_config_ts": "2023-01-01T12:00:00+00:00", "last_config_seqnum": 1, )"
           R"("negligible_amount": 1000.0, "config_flags": 0, "config_data": "", "account_id": "1099511630524", )"
           R"("debtor_info_iri": "https://example.com/debtor", )"
           R"("debtor_info_content_type": "application/vnd.swaptacular.coin-info+json", )"
           R"("debtor_info_sha256": "0000000000000000000000000000000000000000000000000000000000000000", )"
           R"("last_transfer_number": 1, "last_transfer_committed_at": "2023-01-01T12:00:06+00:00", )"
           R"("demurrage_rate": -50.0, "commit_period": 2592000, "transfer_note_max_bytes": 500, )"
           R"("ts": "2023-01-01T12:00:06+00:00", "ttl": 2592000}})";
  else if (type == "AccountPurge")
    form = R"({{"type": "AccountPurge", "debtor_id": {0}, "creditor_id": {1}, "creation_date": "2023-01-01", )"
           R"("ts": "2023-06-01T00:00:00+00:00"}})";
  else if (type == "AccountTransfer")
    form = R"({{"transfer_note_format": "", "transfer_note": "Payment for services", "type": "AccountTransfer", )"
           R"("debtor_id": {0}, "creditor_id": {1}, "coordinator_type": "{2}", "creation_date": "2023-01-01", )"
           R"("transfer_number": 1, "sender": "1099511630525", "recipient": "1099511630524", )"
           R"("acquired_amount": 1500, "committed_at": "2023-01-01T12:00:06+00:00", "principal": 1500, )"
           R"("ts": "2023-01-01T12:00:06+00:00", "previous_transfer_number": 0}})";
  else
    throw std::invalid_argument(fmt::format("no SMP message type {}", type));
  return fmt::format(fmt::runtime(form), ids.debtor, ids.creditor, ids.coordinator_type, ids.coordinator);
}

std::string dotted_hex(std::int64_t id) {
  const auto u = static_cast<std::uint64_t>(id);
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8)
    out += fmt::format("{}{:02x}", out.empty() ? "" : ".", (u >> shift) & 0xffU);
  return out;
}

std::vector<std::string> expected_headers(std::string_view type, const smp_ids& ids, const ca_flags* ca) {
  const auto integer = [](std::string_view name, std::int64_t v) {
    return fmt::format("{}:{}:{}", name, integer_kind(v), v);
  };
  std::vector<std::string> out{fmt::format("message-type:S:{}", type), integer("debtor-id", ids.debtor),
                               integer("creditor-id", ids.creditor)};
  if (ca != nullptr) {
    out.push_back(fmt::format("ca-creditors:t:{}", ca->creditors));
    out.push_back(fmt::format("ca-trade:t:{}", ca->trade));
  }
  if (has_coordinator_id(type)) {
    out.push_back(integer("coordinator-id", ids.coordinator));
    out.push_back(fmt::format("coordinator-type:S:{}", ids.coordinator_type));
  }
  return out;
}

ca_flags classify_for_ca(std::string_view type, const smp_ids& translated) {
  const bool trade_account = (static_cast<std::uint64_t>(translated.creditor) & 0x000000FF00000000U) == 0;
  const bool trade_notification = type == "AccountTransfer" && translated.coordinator_type == "agent";
  const bool trade_transfer = has_coordinator_id(type) && translated.coordinator_type == "agent";
  return {!(trade_account || trade_transfer), trade_account || trade_transfer || trade_notification};
}

}  // namespace swpt::e2e

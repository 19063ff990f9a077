#include "examples.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace smp_test {

using swpt::smp::message_type;

namespace {

// IDs of §5: AA node 1234abcd, CA creditor subnet 000001.
const std::string debtor = "1311862288428302337";
const std::string creditor = "1099511630524";

const std::array<members, 10> examples = {{
    {{"type", "\"ConfigureAccount\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"negligible_amount", "1000.0"},
     {"config_data", "\"\""},
     {"config_flags", "0"},
     {"seqnum", "1"},
     {"ts", "\"2023-01-01T12:00:00+00:00\""}},
    {{"type", "\"PrepareTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"coordinator_id", creditor},
     {"coordinator_request_id", "1111"},
     {"min_locked_amount", "1000"},
     {"max_locked_amount", "2000"},
     {"recipient", "\"RECIPIENT\""},
     {"final_interest_rate_ts", "\"9999-12-31T23:59:59+00:00\""},
     {"max_commit_delay", "100000"},
     {"ts", "\"2023-01-01T12:00:00+00:00\""}},
    {{"transfer_note_format", "\"\""},
     {"transfer_note", "\"Payment for services\""},
     {"type", "\"FinalizeTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"coordinator_id", creditor},
     {"coordinator_request_id", "1111"},
     {"transfer_id", "12345"},
     {"committed_amount", "1500"},
     {"ts", "\"2023-01-01T12:00:05+00:00\""}},
    {{"type", "\"RejectedConfig\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"config_ts", "\"2023-01-01T12:00:00+00:00\""},
     {"config_seqnum", "1"},
     {"config_flags", "0"},
     {"config_data", "\"\""},
     {"negligible_amount", "1000.0"},
     {"rejection_code", "\"NO_CONNECTION_TO_DEBTOR\""},
     {"ts", "\"2023-01-01T12:00:01+00:00\""}},
    {{"type", "\"RejectedTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"coordinator_id", creditor},
     {"coordinator_request_id", "1111"},
     {"status_code", "\"INSUFFICIENT_AVAILABLE_AMOUNT\""},
     {"total_locked_amount", "0"},
     {"ts", "\"2023-01-01T12:00:01+00:00\""}},
    {{"type", "\"PreparedTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"coordinator_id", creditor},
     {"coordinator_request_id", "1111"},
     {"transfer_id", "12345"},
     {"locked_amount", "2000"},
     {"recipient", "\"RECIPIENT\""},
     {"prepared_at", "\"2023-01-01T12:00:01+00:00\""},
     {"demurrage_rate", "-50.0"},
     {"deadline", "\"2023-01-02T12:00:01+00:00\""},
     {"final_interest_rate_ts", "\"9999-12-31T23:59:59+00:00\""},
     {"ts", "\"2023-01-01T12:00:01+00:00\""}},
    {{"type", "\"FinalizedTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"coordinator_id", creditor},
     {"coordinator_request_id", "1111"},
     {"transfer_id", "12345"},
     {"committed_amount", "1500"},
     {"status_code", "\"OK\""},
     {"total_locked_amount", "0"},
     {"prepared_at", "\"2023-01-01T12:00:01+00:00\""},
     {"ts", "\"2023-01-01T12:00:06+00:00\""}},
    {{"type", "\"AccountUpdate\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"creation_date", "\"2023-01-01\""},
     {"last_change_ts", "\"2023-01-01T12:00:06+00:00\""},
     {"last_change_seqnum", "3"},
     {"principal", "1500"},
     {"interest", "0.0"},
     {"interest_rate", "0.0"},
     {"last_interest_rate_change_ts", "\"1970-01-01T00:00:00+00:00\""},
     {"last_config_ts", "\"2023-01-01T12:00:00+00:00\""},
     {"last_config_seqnum", "1"},
     {"negligible_amount", "1000.0"},
     {"config_flags", "0"},
     {"config_data", "\"\""},
     {"account_id", "\"1099511630524\""},
     {"debtor_info_iri", "\"https://example.com/debtor\""},
     {"debtor_info_content_type", "\"application/vnd.swaptacular.coin-info+json\""},
     {"debtor_info_sha256", "\"0000000000000000000000000000000000000000000000000000000000000000\""},
     {"last_transfer_number", "1"},
     {"last_transfer_committed_at", "\"2023-01-01T12:00:06+00:00\""},
     {"demurrage_rate", "-50.0"},
     {"commit_period", "2592000"},
     {"transfer_note_max_bytes", "500"},
     {"ts", "\"2023-01-01T12:00:06+00:00\""},
     {"ttl", "2592000"}},
    {{"type", "\"AccountPurge\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"creation_date", "\"2023-01-01\""},
     {"ts", "\"2023-06-01T00:00:00+00:00\""}},
    {{"transfer_note_format", "\"\""},
     {"transfer_note", "\"Payment for services\""},
     {"type", "\"AccountTransfer\""},
     {"debtor_id", debtor},
     {"creditor_id", creditor},
     {"coordinator_type", "\"direct\""},
     {"creation_date", "\"2023-01-01\""},
     {"transfer_number", "1"},
     {"sender", "\"1099511630525\""},
     {"recipient", "\"1099511630524\""},
     {"acquired_amount", "1500"},
     {"committed_at", "\"2023-01-01T12:00:06+00:00\""},
     {"principal", "1500"},
     {"ts", "\"2023-01-01T12:00:06+00:00\""},
     {"previous_transfer_number", "0"}},
}};

}  // namespace

const members& example(message_type type) { return examples[static_cast<std::size_t>(type)]; }

std::string body(const members& ms) {
  std::string out = "{";
  for (const auto& m : ms) {
    if (out.size() > 1) out += ", ";
    out += '"' + m.key + "\": " + m.json;
  }
  return out + "}";
}

members with(members ms, std::string_view key, std::string json) {
  const auto it = std::find_if(ms.begin(), ms.end(), [&](const member& m) { return m.key == key; });
  if (it == ms.end()) {
    ms.push_back({std::string(key), std::move(json)});
  } else {
    it->json = std::move(json);
  }
  return ms;
}

members without(members ms, std::string_view key) {
  std::erase_if(ms, [&](const member& m) { return m.key == key; });
  return ms;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

bool valid(message_type type, const members& ms) { return swpt::smp::message::parse(type, body(ms)).has_value(); }

bool valid_with(message_type type, std::string_view key, std::string json) {
  return valid(type, with(example(type), key, std::move(json)));
}

const std::vector<message_type>& all_types() {
  static const std::vector<message_type> types = {
      message_type::configure_account,  message_type::prepare_transfer,  message_type::finalize_transfer,
      message_type::rejected_config,    message_type::rejected_transfer, message_type::prepared_transfer,
      message_type::finalized_transfer, message_type::account_update,    message_type::account_purge,
      message_type::account_transfer,
  };
  return types;
}

}  // namespace smp_test

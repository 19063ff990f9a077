#include "core/drainer.hpp"

#include <catch2/catch.hpp>

using swpt::drainer_response;
using swpt::smp::message;
using swpt::smp::message_type;

namespace {

// 2024-05-01T10:00:00.123456Z
const auto now = std::chrono::system_clock::time_point{} + std::chrono::microseconds{1714557600123456};

message parsed(message_type type, const char* body) { return message::parse(type, body).value(); }

}  // namespace

TEST_CASE("a ConfigureAccount for a deactivated authority is rejected", "[drainer]") {
  const auto in = parsed(message_type::configure_account,
                         R"({"type": "ConfigureAccount", "debtor_id": -2401543483388067839, )"
                         R"("creditor_id": 1108307720798209, "negligible_amount": 1000.0, )"
                         R"("config_data": "TEST_CONFIG", "config_flags": 666, "seqnum": 1234, )"
                         R"("ts": "2023-01-01T12:00:00+00:00"})");
  const auto out = drainer_response(in, now);
  REQUIRE(out);
  CHECK(out->to_json() ==
        R"({"type": "RejectedConfig", "debtor_id": -2401543483388067839, "creditor_id": 1108307720798209, )"
        R"("config_ts": "2023-01-01T12:00:00+00:00", "config_seqnum": 1234, "config_flags": 666, )"
        R"("config_data": "TEST_CONFIG", "negligible_amount": 1000.0, "rejection_code": "NO_CONNECTION_TO_DEBTOR", )"
        R"("ts": "2024-05-01T10:00:00.123456+00:00"})");
}

TEST_CASE("an AccountUpdate for a deactivated creditors agent schedules the account for deletion", "[drainer]") {
  const auto in = parsed(
      message_type::account_update,
      R"({"type": "AccountUpdate", "debtor_id": 1311862288428302337, "creditor_id": 2199023255553, )"
      R"("creation_date": "2023-01-01", "last_change_ts": "2023-01-01T12:00:06+00:00", "last_change_seqnum": 3, )"
      R"("principal": 1500, "interest": 0.0, "interest_rate": 0.0, "last_interest_rate_change_ts": )"
      R"("1970-01-01T00:00:00+00:00", "last_config_ts": "2023-01-01T12:00:00+00:00", "last_config_seqnum": 1, )"
      R"("negligible_amount": 1000.0, "config_flags": 0, "config_data": "", "account_id": "1", )"
      R"("debtor_info_iri": "", "debtor_info_content_type": "", "debtor_info_sha256": "", )"
      R"("last_transfer_number": 1, "last_transfer_committed_at": "2023-01-01T12:00:06+00:00", )"
      R"("demurrage_rate": -50.0, "commit_period": 2592000, "transfer_note_max_bytes": 500, )"
      R"("ts": "2023-01-01T12:00:06+00:00", "ttl": 2592000})");
  const auto out = drainer_response(in, now);
  REQUIRE(out);
  CHECK(out->to_json() ==
        R"({"type": "ConfigureAccount", "debtor_id": 1311862288428302337, "creditor_id": 2199023255553, )"
        R"("negligible_amount": 1e+30, "config_data": "", "config_flags": 1, "seqnum": 0, )"
        R"("ts": "2024-05-01T10:00:00.123456+00:00"})");
}

TEST_CASE("a PreparedTransfer for a deactivated creditors agent is dismissed", "[drainer]") {
  const auto in = parsed(
      message_type::prepared_transfer,
      R"({"type": "PreparedTransfer", "debtor_id": 1311862288428302337, "creditor_id": 2199023255553, )"
      R"("coordinator_type": "agent", "coordinator_id": 2199023255554, "coordinator_request_id": 1234, )"
      R"("transfer_id": 12345, "locked_amount": 2000, "recipient": "RECIPIENT", )"
      R"("prepared_at": "2023-01-01T12:00:01+00:00", "demurrage_rate": -50.0, )"
      R"("deadline": "2023-01-02T12:00:01+00:00", "final_interest_rate_ts": "9999-12-31T23:59:59+00:00", )"
      R"("ts": "2023-01-01T12:00:01+00:00"})");
  const auto out = drainer_response(in, now);
  REQUIRE(out);
  CHECK(out->to_json() ==
        R"({"transfer_note_format": "", "transfer_note": "", "type": "FinalizeTransfer", )"
        R"("debtor_id": 1311862288428302337, "creditor_id": 2199023255553, "coordinator_type": "agent", )"
        R"("coordinator_id": 2199023255554, "coordinator_request_id": 1234, "transfer_id": 12345, )"
        R"("committed_amount": 0, "ts": "2024-05-01T10:00:00.123456+00:00"})");
}

TEST_CASE("other messages get no response", "[drainer]") {
  const auto purge = parsed(message_type::account_purge,
                            R"({"type": "AccountPurge", "debtor_id": 1, "creditor_id": 2, )"
                            R"("creation_date": "2023-01-01", "ts": "2023-06-01T00:00:00+00:00"})");
  CHECK_FALSE(drainer_response(purge, now));
}

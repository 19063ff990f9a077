// The cross-field rules of docs/smp-messages.md §3, with the vectors of its table.

#include "core/smp/message.hpp"

#include "examples.hpp"

#include <catch2/catch.hpp>

using namespace swpt::smp;
using namespace smp_test;
using mt = message_type;

namespace {

bool prepare(const char* coordinator_type, const char* coordinator_id, const char* creditor_id,
             const char* debtor_id = "1311862288428302337") {
  members ms = example(mt::prepare_transfer);
  ms = with(ms, "coordinator_type", quoted(coordinator_type));
  ms = with(ms, "coordinator_id", coordinator_id);
  ms = with(ms, "creditor_id", creditor_id);
  ms = with(ms, "debtor_id", debtor_id);
  return valid(mt::prepare_transfer, ms);
}

}  // namespace

TEST_CASE("PrepareTransfer: min_locked_amount <= max_locked_amount", "[smp][cross]") {
  const auto locked = [](const char* min, const char* max) {
    return valid(mt::prepare_transfer,
                 with(with(example(mt::prepare_transfer), "min_locked_amount", min), "max_locked_amount", max));
  };
  CHECK(locked("1000", "2000"));
  CHECK(locked("2000", "2000"));
  CHECK_FALSE(locked("2001", "2000"));
  CHECK(locked("0", "0"));
  CHECK_FALSE(locked("9223372036854775807", "0"));
}

TEST_CASE("PrepareTransfer direct: coordinator_id equals creditor_id", "[smp][cross]") {
  CHECK(prepare("direct", "1099511630524", "1099511630524"));
  CHECK_FALSE(prepare("direct", "1099511630525", "1099511630524"));
  CHECK_FALSE(prepare("direct", "1311862288428302337", "0"));
}

TEST_CASE("PrepareTransfer issuing: coordinator_id equals debtor_id and creditor_id is 0", "[smp][cross]") {
  CHECK(prepare("issuing", "1311862288428302337", "0"));
  CHECK_FALSE(prepare("issuing", "1311862288428302337", "1099511630524"));
  CHECK_FALSE(prepare("issuing", "1311862288428302336", "0"));
  CHECK_FALSE(prepare("issuing", "0", "0"));
}

TEST_CASE("PrepareTransfer: other coordinator types are not restricted", "[smp][cross]") {
  CHECK(prepare("agent", "42", "1099511630524"));
  CHECK(prepare("other", "-1", "7"));
  CHECK(prepare("Direct", "42", "1099511630524"));   // case matters
  CHECK(prepare("issuing ", "42", "1099511630524"));
}

TEST_CASE("the coordinator rules exist only in PrepareTransfer", "[smp][cross]") {
  for (mt type : {mt::finalize_transfer, mt::rejected_transfer, mt::prepared_transfer, mt::finalized_transfer}) {
    INFO(type_name(type));
    CHECK(valid_with(type, "coordinator_id", "42"));
    CHECK(valid(type, with(with(example(type), "coordinator_type", "\"issuing\""), "coordinator_id", "42")));
  }
}

TEST_CASE("FinalizedTransfer: a status other than OK commits nothing", "[smp][cross]") {
  const auto finalized = [](const char* status, const char* committed) {
    return valid(mt::finalized_transfer,
                 with(with(example(mt::finalized_transfer), "status_code", quoted(status)), "committed_amount",
                      committed));
  };
  CHECK(finalized("OK", "1230000000000"));
  CHECK(finalized("OK", "0"));
  CHECK(finalized("NOT OK", "0"));
  CHECK_FALSE(finalized("NOT OK", "1230000000000"));
  CHECK_FALSE(finalized("ok", "1"));
}

TEST_CASE("AccountTransfer: previous_transfer_number < transfer_number", "[smp][cross]") {
  const auto numbers = [](const char* transfer, const char* previous) {
    return valid(mt::account_transfer, with(with(example(mt::account_transfer), "transfer_number", transfer),
                                            "previous_transfer_number", previous));
  };
  CHECK(numbers("5", "4"));
  CHECK(numbers("5", "0"));
  CHECK_FALSE(numbers("5", "5"));
  CHECK_FALSE(numbers("5", "6"));
}

TEST_CASE("cross-field rules run only on individually valid members", "[smp][cross]") {
  // max < min would break the rule, but the message is invalid first of all
  // because a member is missing: no crash, just invalid.
  CHECK_FALSE(valid(mt::prepare_transfer, without(with(example(mt::prepare_transfer), "min_locked_amount", "5000"),
                                                  "max_locked_amount")));
  CHECK_FALSE(valid(mt::finalized_transfer, without(example(mt::finalized_transfer), "status_code")));
}

// Parsing into values, re-emission (docs/smp-messages.md §4, §5), message::make
// and the accessors.

#include "core/smp/message.hpp"

#include "examples.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <variant>

using namespace swpt::smp;
using namespace smp_test;
using mt = message_type;

namespace {

const std::string prepare_transfer_line =
    R"({"type": "PrepareTransfer", "debtor_id": 1311862288428302337, "creditor_id": 1099511630524, )"
    R"("coordinator_type": "direct", "coordinator_id": 1099511630524, "coordinator_request_id": 1111, )"
    R"("min_locked_amount": 1000, "max_locked_amount": 2000, "recipient": "RECIPIENT", )"
    R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, )"
    R"("ts": "2023-01-01T12:00:00+00:00"})";

const std::string account_transfer_line =
    R"({"transfer_note_format": "", "transfer_note": "Payment for services", "type": "AccountTransfer", )"
    R"("debtor_id": 1311862288428302337, "creditor_id": 1099511630524, "coordinator_type": "direct", )"
    R"("creation_date": "2023-01-01", "transfer_number": 1, "sender": "1099511630525", )"
    R"("recipient": "1099511630524", "acquired_amount": 1500, "committed_at": "2023-01-01T12:00:06+00:00", )"
    R"("principal": 1500, "ts": "2023-01-01T12:00:06+00:00", "previous_transfer_number": 0})";

std::string pretty_reversed(const members& ms) {
  std::string out = "{\n";
  for (auto it = ms.rbegin(); it != ms.rend(); ++it) {
    out += "  \"" + it->key + "\" :\t" + it->json + (std::next(it) == ms.rend() ? "\n" : ",\n");
  }
  return out + "}\n";
}

}  // namespace

TEST_CASE("the §5 examples parse and re-emit exactly", "[smp][message]") {
  CHECK(body(example(mt::prepare_transfer)) == prepare_transfer_line);
  CHECK(body(example(mt::account_transfer)) == account_transfer_line);
  for (mt type : all_types()) {
    INFO(type_name(type));
    const std::string line = body(example(type));
    const auto m = message::parse(type, line);
    REQUIRE(m);
    CHECK(m->type() == type);
    CHECK(m->to_json() == line);
  }
}

TEST_CASE("re-emission uses the original's order, whatever the input order", "[smp][message]") {
  for (mt type : all_types()) {
    INFO(type_name(type));
    const auto m = message::parse(type, pretty_reversed(example(type)));
    REQUIRE(m);
    CHECK(m->to_json() == body(example(type)));
  }
}

TEST_CASE("the §4 re-emission vector: lenient input is invalid, canonical input re-emits", "[smp][message]") {
  const char* lenient =
      R"({"type":"ConfigureAccount","creditor_id":"1","debtor_id":2.9,"negligible_amount":"3",)"
      R"("config_data":"Щ","config_flags":128,"seqnum":0,"ts":"2022-01-01T00:00Z","x":1})";
  CHECK_FALSE(message::parse(mt::configure_account, lenient));

  const char* canonical_input =
      R"({"type":"ConfigureAccount","creditor_id":1,"debtor_id":2,"negligible_amount":3,)"
      R"("config_data":"Щ","config_flags":128,"seqnum":0,"ts":"2022-01-01T00:00Z","x":1})";
  const auto m = message::parse(mt::configure_account, canonical_input);
  REQUIRE(m);
  CHECK(m->to_json() ==
        R"({"type": "ConfigureAccount", "debtor_id": 2, "creditor_id": 1, "negligible_amount": 3.0, )"
        R"("config_data": "\u0429", "config_flags": 128, "seqnum": 0, "ts": "2022-01-01T00:00:00+00:00"})");
}

TEST_CASE("each lenient coercion of the original is rejected on its own", "[smp][message]") {
  CHECK_FALSE(valid_with(mt::configure_account, "creditor_id", "\"1\""));
  CHECK_FALSE(valid_with(mt::configure_account, "debtor_id", "2.9"));
  CHECK_FALSE(valid_with(mt::configure_account, "negligible_amount", "\"3\""));
  CHECK(valid_with(mt::configure_account, "negligible_amount", "3"));
}

TEST_CASE("parsed values are reachable by field", "[smp][message]") {
  const auto m = message::parse(mt::account_update, body(example(mt::account_update)));
  REQUIRE(m);
  CHECK(m->str(field::type) == "AccountUpdate");
  CHECK(m->i64(field::debtor_id) == 0x1234abcd00000001);
  CHECK(m->i64(field::creditor_id) == 0x0000010000000abc);
  CHECK(m->day(field::creation_date) == date{.year = 2023, .month = 1, .day = 1});
  CHECK(m->dt(field::last_change_ts) ==
        datetime{.year = 2023, .month = 1, .day = 1, .hour = 12, .second = 6, .offset_minutes = 0});
  CHECK(m->dt(field::ts).utc_microseconds() == 1672574406LL * 1'000'000);
  CHECK(m->f64(field::demurrage_rate) == -50.0);
  CHECK(m->f64(field::negligible_amount) == 1000.0);
  CHECK(m->i64(field::transfer_note_max_bytes) == 500);
  CHECK(m->str(field::debtor_info_iri) == "https://example.com/debtor");
}

TEST_CASE("has() and the accessors follow the type's schema", "[smp][message]") {
  const auto m = message::parse(mt::account_transfer, body(example(mt::account_transfer)));
  REQUIRE(m);
  CHECK(m->has(field::coordinator_type));
  CHECK_FALSE(m->has(field::coordinator_id));
  CHECK_FALSE(m->has(field::coordinator_request_id));
  CHECK_THROWS_AS(m->i64(field::coordinator_id), std::invalid_argument);
  CHECK_THROWS_AS(m->i64(field::sender), std::bad_variant_access);
  CHECK_THROWS_AS(m->str(field::principal), std::bad_variant_access);
  CHECK_THROWS_AS(m->f64(field::principal), std::bad_variant_access);
  for (mt type : all_types()) {
    const auto parsed = message::parse(type, body(example(type)));
    REQUIRE(parsed);
    std::size_t count = 0;
    for (std::size_t f = 0; f < field_count; ++f) count += parsed->has(static_cast<field>(f));
    CHECK(count == example(type).size());
    for (const auto& mem : example(type)) CHECK(parsed->has(*parse_field_name(mem.key)));
  }
}

TEST_CASE("field names round-trip", "[smp][message]") {
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    CHECK(parse_field_name(field_name(f)) == f);
  }
  CHECK(field_name(field::previous_transfer_number) == "previous_transfer_number");
  CHECK(field_name(field::debtor_info_sha256) == "debtor_info_sha256");
  CHECK_FALSE(parse_field_name("unknown"));
  CHECK_FALSE(parse_field_name("Type"));
}

TEST_CASE("set_i64 translates IDs in the re-emitted body", "[smp][message]") {
  auto m = message::parse(mt::prepare_transfer, prepare_transfer_line);
  REQUIRE(m);
  m->set_i64(field::creditor_id, 0x0000020000000abc);
  m->set_i64(field::coordinator_id, 0x0000020000000abc);
  CHECK(m->i64(field::creditor_id) == 0x0000020000000abc);
  CHECK(m->to_json() == body(with(with(example(mt::prepare_transfer), "creditor_id", "2199023258300"),
                                  "coordinator_id", "2199023258300")));
  CHECK_THROWS_AS(m->set_i64(field::principal, 1), std::invalid_argument);
  CHECK_THROWS_AS(m->set_i64(field::recipient, 1), std::bad_variant_access);
}

TEST_CASE("append_json appends to what is there", "[smp][message]") {
  const auto m = message::parse(mt::account_purge, body(example(mt::account_purge)));
  REQUIRE(m);
  std::string out = "prefix:";
  m->append_json(out);
  CHECK(out == "prefix:" + body(example(mt::account_purge)));
}

TEST_CASE("text is re-emitted with Python's escapes", "[smp][message]") {
  const auto m = message::parse(mt::configure_account,
                                body(with(example(mt::configure_account), "config_data",
                                          "\"\xc3\xa9\\u00e9 \\/ / \\u007f\x7f \xf0\x9f\x98\x80 \\t \\\" \\\\\"")));
  REQUIRE(m);
  CHECK(m->to_json() ==
        body(with(example(mt::configure_account), "config_data",
                  R"("\u00e9\u00e9 / / \u007f\u007f \ud83d\ude00 \t \" \\")")));
}

TEST_CASE("numbers and datetimes are re-emitted canonically", "[smp][message]") {
  members in = example(mt::account_update);
  in = with(in, "interest", "1e16");
  in = with(in, "interest_rate", "-0");
  in = with(in, "negligible_amount", "0.00001");
  in = with(in, "demurrage_rate", "-1E2");
  in = with(in, "last_change_ts", "\"2023-1-1 12:0:6.5Z\"");
  in = with(in, "last_config_ts", "\"2023-01-01T12:00:00-0230\"");
  in = with(in, "ts", "\"2023-01-01T12:00:06\"");
  in = with(in, "creation_date", "\"2023-1-1\"");
  const auto m = message::parse(mt::account_update, body(in));
  REQUIRE(m);
  members out = example(mt::account_update);
  out = with(out, "interest", "1e+16");
  out = with(out, "interest_rate", "0.0");
  out = with(out, "negligible_amount", "1e-05");
  out = with(out, "demurrage_rate", "-100.0");
  out = with(out, "last_change_ts", "\"2023-01-01T12:00:06.500000+00:00\"");
  out = with(out, "last_config_ts", "\"2023-01-01T12:00:00-02:30\"");
  out = with(out, "ts", "\"2023-01-01T12:00:06\"");  // naive stays naive
  CHECK(m->to_json() == body(out));
  CHECK_FALSE(m->dt(field::ts).utc_microseconds());
}

TEST_CASE("make builds what parse would", "[smp][message]") {
  const auto made = message::make(mt::prepare_transfer, {
                                                            {field::debtor_id, 1311862288428302337},
                                                            {field::creditor_id, 1099511630524},
                                                            {field::coordinator_type, "direct"},
                                                            {field::coordinator_id, 1099511630524},
                                                            {field::coordinator_request_id, 1111},
                                                            {field::min_locked_amount, 1000},
                                                            {field::max_locked_amount, 2000},
                                                            {field::recipient, "RECIPIENT"},
                                                            {field::final_interest_rate_ts,
                                                             *datetime::parse("9999-12-31T23:59:59Z")},
                                                            {field::max_commit_delay, 100000},
                                                            {field::ts, *datetime::parse("2023-01-01T12:00:00Z")},
                                                        });
  REQUIRE(made);
  CHECK(made->to_json() == prepare_transfer_line);
  CHECK(*made == *message::parse(mt::prepare_transfer, prepare_transfer_line));
  CHECK(message::parse(mt::prepare_transfer, made->to_json()) == made);
}

TEST_CASE("make covers every kind: AccountUpdate", "[smp][message]") {
  const auto ts = datetime::parse("2023-01-01T12:00:06+00:00").value();
  const auto made = message::make(
      mt::account_update,
      {
          {field::type, "AccountUpdate"},
          {field::debtor_id, 1311862288428302337},
          {field::creditor_id, 1099511630524},
          {field::creation_date, date{.year = 2023, .month = 1, .day = 1}},
          {field::last_change_ts, ts},
          {field::last_change_seqnum, 3},
          {field::principal, 1500},
          {field::interest, 0.0},
          {field::interest_rate, 0},  // an integer for a float member is converted
          {field::last_interest_rate_change_ts, datetime::from_utc_microseconds(0)},
          {field::last_config_ts, datetime::parse("2023-01-01T12:00:00Z").value()},
          {field::last_config_seqnum, 1},
          {field::negligible_amount, 1000.0},
          {field::config_flags, 0},
          {field::config_data, ""},
          {field::account_id, "1099511630524"},
          {field::debtor_info_iri, "https://example.com/debtor"},
          {field::debtor_info_content_type, "application/vnd.swaptacular.coin-info+json"},
          {field::debtor_info_sha256, std::string(64, '0')},
          {field::last_transfer_number, 1},
          {field::last_transfer_committed_at, ts},
          {field::demurrage_rate, -50.0},
          {field::commit_period, 2592000},
          {field::transfer_note_max_bytes, 500},
          {field::ts, ts},
          {field::ttl, 2592000},
      });
  REQUIRE(made);
  CHECK(made->to_json() == body(example(mt::account_update)));
  CHECK(message::parse(mt::account_update, made->to_json()) == made);
}

TEST_CASE("make: the last value of a repeated field counts", "[smp][message]") {
  const auto ts = datetime::from_utc_microseconds(1685577600LL * 1'000'000);
  const auto made = message::make(mt::account_purge, {{field::debtor_id, 1},
                                                      {field::debtor_id, 1311862288428302337},
                                                      {field::creditor_id, 1099511630524},
                                                      {field::creation_date, date{2023, 1, 1}},
                                                      {field::ts, ts}});
  REQUIRE(made);
  CHECK(made->to_json() == body(example(mt::account_purge)));
}

TEST_CASE("make rejects what parse would reject", "[smp][message]") {
  const auto ts = datetime::from_utc_microseconds(0);
  CHECK(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                          {field::creation_date, date{2023, 1, 1}}, {field::ts, ts}}));
  // missing member
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::ts, ts}}));
  // member outside the schema
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                {field::creation_date, date{2023, 1, 1}}, {field::ts, ts},
                                                {field::principal, 0}}));
  // wrong kind
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1.0}, {field::creditor_id, 2},
                                                {field::creation_date, date{2023, 1, 1}}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                {field::creation_date, ts}, {field::ts, ts}}));
  // invalid values
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                {field::creation_date, date{2023, 2, 29}}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::account_purge, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                {field::creation_date, date{2023, 1, 1}},
                                                {field::ts, datetime{.hour = 24}}}));
  // the type member, when given, must match
  CHECK_FALSE(message::make(mt::account_purge, {{field::type, "AccountUpdate"}, {field::debtor_id, 1},
                                                {field::creditor_id, 2}, {field::creation_date, date{2023, 1, 1}},
                                                {field::ts, ts}}));
  // ranges, text limits and cross-field rules
  CHECK_FALSE(message::make(mt::rejected_transfer, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                    {field::coordinator_type, "direct"}, {field::coordinator_id, 2},
                                                    {field::coordinator_request_id, 3}, {field::status_code, "OK"},
                                                    {field::total_locked_amount, 0}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::rejected_transfer, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                                    {field::coordinator_type, "direct"}, {field::coordinator_id, 2},
                                                    {field::coordinator_request_id, 3}, {field::status_code, "E"},
                                                    {field::total_locked_amount, -1}, {field::ts, ts}}));
  CHECK(message::make(mt::rejected_transfer, {{field::debtor_id, 1}, {field::creditor_id, 2},
                                              {field::coordinator_type, "direct"}, {field::coordinator_id, 2},
                                              {field::coordinator_request_id, 3}, {field::status_code, "E"},
                                              {field::total_locked_amount, 0}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::finalized_transfer,
                            {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::coordinator_type, "direct"},
                             {field::coordinator_id, 2}, {field::coordinator_request_id, 3},
                             {field::transfer_id, 4}, {field::committed_amount, 5}, {field::status_code, "FAILED"},
                             {field::total_locked_amount, 0}, {field::prepared_at, ts}, {field::ts, ts}}));
  CHECK(message::make(mt::finalized_transfer,
                      {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::coordinator_type, "direct"},
                       {field::coordinator_id, 2}, {field::coordinator_request_id, 3}, {field::transfer_id, 4},
                       {field::committed_amount, 0}, {field::status_code, "FAILED"},
                       {field::total_locked_amount, 0}, {field::prepared_at, ts}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::configure_account,
                            {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::negligible_amount, -1.0},
                             {field::config_data, ""}, {field::config_flags, 0}, {field::seqnum, 0}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::configure_account,
                            {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::negligible_amount, 0.0},
                             {field::config_data, std::string("\xed\xa0\x80")}, {field::config_flags, 0},
                             {field::seqnum, 0}, {field::ts, ts}}));
  CHECK_FALSE(message::make(mt::configure_account,
                            {{field::debtor_id, 1}, {field::creditor_id, 2}, {field::negligible_amount, 0.0},
                             {field::config_data, ""}, {field::config_flags, 0}, {field::seqnum, 2147483648},
                             {field::ts, ts}}));
}

TEST_CASE("a generated response with now() round-trips", "[smp][message]") {
  const auto now = datetime::from_utc_microseconds(1700000000123456);
  const auto made = message::make(mt::rejected_config, {{field::debtor_id, -1},
                                                        {field::creditor_id, 0},
                                                        {field::config_ts, now},
                                                        {field::config_seqnum, 2147483647},
                                                        {field::config_flags, -2147483648LL},
                                                        {field::config_data, "\xd0\xa9"},
                                                        {field::negligible_amount, 1e30},
                                                        {field::rejection_code, "NO_CONNECTION_TO_DEBTOR"},
                                                        {field::ts, now}});
  REQUIRE(made);
  CHECK(made->to_json() ==
        R"({"type": "RejectedConfig", "debtor_id": -1, "creditor_id": 0, )"
        R"("config_ts": "2023-11-14T22:13:20.123456+00:00", "config_seqnum": 2147483647, )"
        R"("config_flags": -2147483648, "config_data": "\u0429", "negligible_amount": 1e+30, )"
        R"("rejection_code": "NO_CONNECTION_TO_DEBTOR", "ts": "2023-11-14T22:13:20.123456+00:00"})");
  CHECK(message::parse(mt::rejected_config, made->to_json()) == made);
}

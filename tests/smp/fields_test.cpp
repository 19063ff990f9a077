// One rule per test: each field kind, range boundary and text limit of
// docs/smp-messages.md §2.1-§2.2 and §3, on the §5 examples changed one member
// (plus companions that cross-field rules tie to it) at a time.

#include "core/smp/message.hpp"

#include "examples.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <set>

using namespace swpt::smp;
using namespace smp_test;

namespace {

constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();

using mt = message_type;

struct integer_member {
  mt type;
  const char* name;
  std::int64_t min, max;
  std::vector<const char*> companions = {};  // set to the same value (cross-field rules)
};

// Every integer member of every type, with its range from §3.
const std::vector<integer_member> integer_members = {
    {mt::configure_account, "debtor_id", i64_min, i64_max},
    {mt::configure_account, "creditor_id", i64_min, i64_max},
    {mt::configure_account, "config_flags", i32_min, i32_max},
    {mt::configure_account, "seqnum", i32_min, i32_max},
    {mt::prepare_transfer, "debtor_id", i64_min, i64_max},
    {mt::prepare_transfer, "creditor_id", i64_min, i64_max, {"coordinator_id"}},
    {mt::prepare_transfer, "coordinator_id", i64_min, i64_max, {"creditor_id"}},
    {mt::prepare_transfer, "coordinator_request_id", i64_min, i64_max},
    {mt::prepare_transfer, "min_locked_amount", 0, i64_max, {"max_locked_amount"}},
    {mt::prepare_transfer, "max_locked_amount", 0, i64_max, {"min_locked_amount"}},
    {mt::prepare_transfer, "max_commit_delay", 0, i32_max},
    {mt::finalize_transfer, "debtor_id", i64_min, i64_max},
    {mt::finalize_transfer, "creditor_id", i64_min, i64_max},
    {mt::finalize_transfer, "coordinator_id", i64_min, i64_max},
    {mt::finalize_transfer, "coordinator_request_id", i64_min, i64_max},
    {mt::finalize_transfer, "transfer_id", i64_min, i64_max},
    {mt::finalize_transfer, "committed_amount", 0, i64_max},
    {mt::rejected_config, "debtor_id", i64_min, i64_max},
    {mt::rejected_config, "creditor_id", i64_min, i64_max},
    {mt::rejected_config, "config_seqnum", i32_min, i32_max},
    {mt::rejected_config, "config_flags", i32_min, i32_max},
    {mt::rejected_transfer, "debtor_id", i64_min, i64_max},
    {mt::rejected_transfer, "creditor_id", i64_min, i64_max},
    {mt::rejected_transfer, "coordinator_id", i64_min, i64_max},
    {mt::rejected_transfer, "coordinator_request_id", i64_min, i64_max},
    {mt::rejected_transfer, "total_locked_amount", 0, i64_max},
    {mt::prepared_transfer, "debtor_id", i64_min, i64_max},
    {mt::prepared_transfer, "creditor_id", i64_min, i64_max},
    {mt::prepared_transfer, "coordinator_id", i64_min, i64_max},
    {mt::prepared_transfer, "coordinator_request_id", i64_min, i64_max},
    {mt::prepared_transfer, "transfer_id", i64_min, i64_max},
    {mt::prepared_transfer, "locked_amount", 0, i64_max},
    {mt::finalized_transfer, "debtor_id", i64_min, i64_max},
    {mt::finalized_transfer, "creditor_id", i64_min, i64_max},
    {mt::finalized_transfer, "coordinator_id", i64_min, i64_max},
    {mt::finalized_transfer, "coordinator_request_id", i64_min, i64_max},
    {mt::finalized_transfer, "transfer_id", i64_min, i64_max},
    {mt::finalized_transfer, "committed_amount", 0, i64_max},
    {mt::finalized_transfer, "total_locked_amount", 0, i64_max},
    {mt::account_update, "debtor_id", i64_min, i64_max},
    {mt::account_update, "creditor_id", i64_min, i64_max},
    {mt::account_update, "last_change_seqnum", i32_min, i32_max},
    {mt::account_update, "principal", i64_min, i64_max},
    {mt::account_update, "last_config_seqnum", i32_min, i32_max},
    {mt::account_update, "config_flags", i32_min, i32_max},
    {mt::account_update, "last_transfer_number", 0, i64_max},
    {mt::account_update, "commit_period", 0, i32_max},
    {mt::account_update, "transfer_note_max_bytes", 0, 500},
    {mt::account_update, "ttl", 0, i32_max},
    {mt::account_purge, "debtor_id", i64_min, i64_max},
    {mt::account_purge, "creditor_id", i64_min, i64_max},
    {mt::account_transfer, "debtor_id", i64_min, i64_max},
    {mt::account_transfer, "creditor_id", i64_min, i64_max},
    {mt::account_transfer, "transfer_number", 1, i64_max},
    {mt::account_transfer, "acquired_amount", i64_min, i64_max},
    {mt::account_transfer, "principal", i64_min, i64_max},
    // previous_transfer_number (0 … 2^63−1, below transfer_number): its own test
};

std::string below(std::int64_t min) { return min == i64_min ? "-9223372036854775809" : std::to_string(min - 1); }
std::string above(std::int64_t max) { return max == i64_max ? "9223372036854775808" : std::to_string(max + 1); }

bool valid_integer(const integer_member& m, const std::string& literal) {
  members ms = with(example(m.type), m.name, literal);
  for (const char* companion : m.companions) ms = with(ms, companion, literal);
  return valid(m.type, ms);
}

bool is_integer_json(const std::string& json) {
  return !json.empty() && json.find_first_not_of("-0123456789") == std::string::npos;
}

struct float_member {
  mt type;
  const char* name;
  std::vector<const char*> accepted, rejected;
};

const std::vector<float_member> float_members = {
    {mt::configure_account, "negligible_amount", {"0", "0.0", "-0.0", "5e-324", "1.7976931348623157e308"},
     {"-5e-324", "-1", "-1e-300"}},
    {mt::rejected_config, "negligible_amount", {"0", "-0.0", "1e300"}, {"-5e-324", "-0.5"}},
    {mt::account_update, "negligible_amount", {"0", "-0.0", "1e300"}, {"-5e-324", "-0.5"}},
    {mt::prepared_transfer, "demurrage_rate", {"-100", "-100.0", "0", "-0.0", "-99.99999999999999"},
     {"-100.00000000000001", "5e-324", "0.1", "-1e300"}},
    {mt::account_update, "demurrage_rate", {"-100", "0", "-1e-300"}, {"-100.00000000000001", "5e-324"}},
    {mt::account_update, "interest_rate", {"-100", "-100.0", "1.7976931348623157e308", "0"},
     {"-100.1", "-100.00000000000001", "-1e300"}},
    {mt::account_update, "interest", {"-1.7976931348623157e308", "1.7976931348623157e308", "0", "-5e-324"}, {}},
};

struct text_member {
  mt type;
  const char* name;
  std::size_t max_chars;
  bool ascii;
  std::size_t max_bytes = 0;  // 0: no byte limit
  bool nonempty = false;
};

const std::vector<text_member> text_members = {
    {mt::configure_account, "config_data", 2000, false, 2000},
    {mt::prepare_transfer, "coordinator_type", 30, true, 0, true},
    {mt::prepare_transfer, "recipient", 100, true},
    {mt::finalize_transfer, "coordinator_type", 30, true, 0, true},
    {mt::finalize_transfer, "transfer_note", 500, false, 500},
    {mt::rejected_config, "config_data", 2000, false, 2000},
    {mt::rejected_config, "rejection_code", 30, true},
    {mt::rejected_transfer, "coordinator_type", 30, true, 0, true},
    {mt::rejected_transfer, "status_code", 30, true},
    {mt::prepared_transfer, "coordinator_type", 30, true, 0, true},
    {mt::prepared_transfer, "recipient", 100, true},
    {mt::finalized_transfer, "coordinator_type", 30, true, 0, true},
    {mt::finalized_transfer, "status_code", 30, true},
    {mt::account_update, "config_data", 2000, false, 2000},
    {mt::account_update, "account_id", 100, true},
    {mt::account_update, "debtor_info_iri", 200, false},
    {mt::account_update, "debtor_info_content_type", 100, true},
    {mt::account_transfer, "coordinator_type", 30, true, 0, true},
    {mt::account_transfer, "sender", 100, true},
    {mt::account_transfer, "recipient", 100, true},
    {mt::account_transfer, "transfer_note", 500, false, 500},
};

// The type's example, made independent of the member under test (a
// FinalizedTransfer whose status_code changes must commit 0).
members base_for(mt type) {
  if (type == mt::finalized_transfer) return with(example(type), "committed_amount", "0");
  return example(type);
}

bool valid_text(const text_member& m, std::string_view raw) {
  return valid(m.type, with(base_for(m.type), m.name, quoted(raw)));
}

const char* const cyrillic = "\xd0\x9a\xd0\xb8\xd1\x80\xd0\xb8\xd0\xbb\xd0\xb8\xd1\x86\xd0\xb0";  // Кирилица
const char* const shcha = "\xd0\xa9";                                                             // Щ, 2 bytes
const char* const grinning = "\xf0\x9f\x98\x80";                                                  // 😀, 4 bytes

}  // namespace

TEST_CASE("the integer table covers every integer member of the examples", "[smp][fields]") {
  for (mt type : all_types()) {
    std::set<std::string> listed;
    for (const auto& m : integer_members) {
      if (m.type == type) listed.insert(m.name);
    }
    if (type == mt::account_transfer) listed.insert("previous_transfer_number");
    for (const auto& m : example(type)) {
      INFO(type_name(type) << "." << m.key);
      CHECK(listed.count(m.key) == (is_integer_json(m.json) ? 1u : 0u));
    }
  }
}

TEST_CASE("integer members accept min and max, reject min-1 and max+1", "[smp][fields]") {
  for (const auto& m : integer_members) {
    INFO(type_name(m.type) << "." << m.name);
    CHECK(valid_integer(m, std::to_string(m.min)));
    CHECK(valid_integer(m, std::to_string(m.max)));
    CHECK_FALSE(valid_integer(m, below(m.min)));
    CHECK_FALSE(valid_integer(m, above(m.max)));
  }
}

TEST_CASE("integer members take JSON integers only", "[smp][fields]") {
  for (const auto& m : integer_members) {
    INFO(type_name(m.type) << "." << m.name);
    for (const char* bad : {"1.5", "1.0", "1e3", "1E3", "1e0", "\"1\"", "\" 12 \"", "\"1_000\"", "\"0x10\"", "true",
                            "false", "null", "[1]", "{}", "12345678901234567890", "-12345678901234567890",
                            "123456789012345678901234567890", "1e400"}) {
      INFO(bad);
      CHECK_FALSE(valid_integer(m, bad));
    }
  }
}

TEST_CASE("negative zero is the integer 0", "[smp][fields]") {
  const auto m = message::parse(mt::configure_account, body(with(example(mt::configure_account), "seqnum", "-0")));
  REQUIRE(m);
  CHECK(m->i64(field::seqnum) == 0);
}

TEST_CASE("previous_transfer_number is 0 … 2^63−1 and below transfer_number", "[smp][fields]") {
  const auto& base = example(mt::account_transfer);
  const auto pair = [&](const std::string& transfer, const std::string& previous) {
    return valid(mt::account_transfer,
                 with(with(base, "transfer_number", transfer), "previous_transfer_number", previous));
  };
  CHECK(pair("1", "0"));
  CHECK_FALSE(pair("1", "-1"));
  CHECK(pair("9223372036854775807", "9223372036854775806"));
  CHECK_FALSE(pair("9223372036854775807", "9223372036854775807"));
  CHECK_FALSE(pair("9223372036854775807", "9223372036854775808"));
  CHECK_FALSE(pair("1", "0.0"));
}

TEST_CASE("acquired_amount must not be 0", "[smp][fields]") {
  CHECK_FALSE(valid_with(mt::account_transfer, "acquired_amount", "0"));
  CHECK(valid_with(mt::account_transfer, "acquired_amount", "-1"));
  CHECK(valid_with(mt::account_transfer, "acquired_amount", "1"));
}

TEST_CASE("float members accept their range and reject the rest", "[smp][fields]") {
  for (const auto& m : float_members) {
    INFO(type_name(m.type) << "." << m.name);
    for (const char* ok : m.accepted) {
      INFO(ok);
      CHECK(valid_with(m.type, m.name, ok));
    }
    for (const char* bad : m.rejected) {
      INFO(bad);
      CHECK_FALSE(valid_with(m.type, m.name, bad));
    }
  }
}

TEST_CASE("float members take finite JSON numbers only", "[smp][fields]") {
  for (const auto& m : float_members) {
    INFO(type_name(m.type) << "." << m.name);
    for (const char* bad : {"NaN", "Infinity", "-Infinity", "1e500", "-1e500", "1e309", "10e308", "\"3\"",
                            "\"3.5\"", "\" 1e3 \"", "\"inf\"", "\"nan\"", "true", "false", "null", "[0]", "{}"}) {
      INFO(bad);
      CHECK_FALSE(valid_with(m.type, m.name, bad));
    }
  }
}

TEST_CASE("float members read numbers as Python does", "[smp][fields]") {
  const auto read = [](const char* literal) {
    const auto m = message::parse(mt::account_update, body(with(example(mt::account_update), "interest", literal)));
    REQUIRE(m);
    return m->f64(field::interest);
  };
  CHECK(read("0") == 0.0);
  CHECK_FALSE(std::signbit(read("-0")));  // the integer 0 becomes 0.0
  CHECK(std::signbit(read("-0.0")));
  CHECK(read("3") == 3.0);
  CHECK(read("12345678901234567890") == 12345678901234567890.0);
  CHECK(read("9007199254740993") == 9007199254740992.0);  // correctly rounded
  CHECK(read("1e-400") == 0.0);                           // underflow is zero, as in Python
  CHECK(std::signbit(read("-1e-400")));
  CHECK(read("0.1e309") == 1e308);
  CHECK(read("2.4703282292062328e-324") == 5e-324);
  CHECK(read("2.4703282292062327e-324") == 0.0);
  CHECK(read("1.5") == 1.5);
  CHECK(read("-2.5E+3") == -2500.0);
}

TEST_CASE("text members: character, byte and ASCII limits", "[smp][fields]") {
  for (const auto& m : text_members) {
    INFO(type_name(m.type) << "." << m.name);
    CHECK(valid_text(m, repeat("x", m.max_chars)));
    CHECK_FALSE(valid_text(m, repeat("x", m.max_chars + 1)));
    CHECK(valid_text(m, "") == !m.nonempty);
    CHECK(valid_text(m, "\x7f"));                         // DEL is ASCII
    CHECK(valid_text(m, std::string_view("\0\x01", 2)));  // control characters are allowed
    CHECK(valid_text(m, cyrillic) == !m.ascii);
    CHECK(valid_text(m, "\xc3\xa9") == !m.ascii);
    if (m.ascii) continue;
    const std::size_t bytes = m.max_bytes ? m.max_bytes : 4 * m.max_chars;
    CHECK(valid_text(m, repeat(shcha, std::min(bytes / 2, m.max_chars))));
    CHECK(valid_text(m, repeat(grinning, bytes / 4)));
    if (m.max_bytes) {
      CHECK_FALSE(valid_text(m, repeat(shcha, m.max_bytes / 2) + "x"));
      CHECK_FALSE(valid_text(m, repeat(grinning, m.max_bytes / 4 + 1)));
    } else {
      CHECK_FALSE(valid_text(m, repeat(grinning, m.max_chars + 1)));
    }
  }
}

TEST_CASE("text members reject numbers, null, booleans and containers", "[smp][fields]") {
  for (const auto& m : text_members) {
    INFO(type_name(m.type) << "." << m.name);
    for (const char* bad : {"1", "1.5", "null", "true", "[\"x\"]", "{\"x\": \"y\"}"}) {
      INFO(bad);
      CHECK_FALSE(valid(m.type, with(base_for(m.type), m.name, bad)));
    }
  }
}

TEST_CASE("text limits count escaped characters after unescaping", "[smp][fields]") {
  const auto note = [](std::string json) { return valid_with(mt::finalize_transfer, "transfer_note", std::move(json)); };
  CHECK(note("\"" + repeat("\\u0429", 250) + "\""));        // 250 ch, 500 B
  CHECK_FALSE(note("\"" + repeat("\\u0429", 251) + "\""));  // 502 B
  CHECK(note("\"" + repeat("\\ud83d\\ude00", 125) + "\""));
  CHECK_FALSE(note("\"" + repeat("\\ud83d\\ude00", 126) + "\""));
  CHECK(note("\"" + repeat("\\n", 500) + "\""));
  CHECK_FALSE(note("\"" + repeat("\\n", 501) + "\""));
  CHECK_FALSE(valid_with(mt::prepare_transfer, "recipient", "\"\\u00e9\""));
  CHECK(valid_with(mt::prepare_transfer, "recipient", "\"\\u007f\\u0000\""));
}

TEST_CASE("validation vectors of the §3 table for text", "[smp][fields]") {
  CHECK_FALSE(valid_with(mt::configure_account, "config_data", quoted(repeat(shcha, 1500))));
  CHECK(valid_with(mt::finalize_transfer, "transfer_note", quoted(repeat(shcha, 250))));
  CHECK_FALSE(valid_with(mt::finalize_transfer, "transfer_note", quoted(repeat(shcha, 251))));
  CHECK(valid_with(mt::finalize_transfer, "transfer_note", quoted(repeat("a", 500))));
  CHECK_FALSE(valid_with(mt::finalize_transfer, "transfer_note", quoted(repeat("a", 501))));
  const std::pair<mt, const char*> ascii_only[] = {
      {mt::rejected_config, "rejection_code"},   {mt::prepare_transfer, "recipient"},
      {mt::account_transfer, "sender"},          {mt::account_update, "account_id"},
      {mt::rejected_transfer, "status_code"},    {mt::prepare_transfer, "coordinator_type"},
      {mt::account_update, "debtor_info_content_type"},
  };
  for (const auto& [type, name] : ascii_only) {
    INFO(name);
    CHECK_FALSE(valid_with(type, name, quoted(cyrillic)));
  }
  CHECK_FALSE(valid_with(mt::prepare_transfer, "coordinator_type", "\"\""));
  CHECK(valid_with(mt::prepare_transfer, "coordinator_type", quoted(repeat("x", 30))));
  CHECK_FALSE(valid_with(mt::prepare_transfer, "coordinator_type", quoted(repeat("x", 31))));
  CHECK(valid_with(mt::account_update, "debtor_info_iri", quoted(repeat(shcha, 200))));
  CHECK_FALSE(valid_with(mt::account_update, "debtor_info_iri", quoted(repeat("x", 201))));
}

TEST_CASE("transfer_note_format matches ^[0-9A-Za-z.-]{0,8}$", "[smp][fields]") {
  for (mt type : {mt::finalize_transfer, mt::account_transfer}) {
    INFO(type_name(type));
    for (const char* ok : {"", "abcdefgh", "ABCDEFGH", "01234567", "a.b-c", "-", ".", "x"}) {
      INFO(ok);
      CHECK(valid_with(type, "transfer_note_format", quoted(ok)));
    }
    for (const char* bad : {"abcdefghi", "a_b", "a b", " ", "a+b", "a/b", "\xc3\xa9", "abc\n", "\n", "abcdefgh\n"}) {
      INFO(bad);
      CHECK_FALSE(valid_with(type, "transfer_note_format", quoted(bad)));
    }
    CHECK_FALSE(valid_with(type, "transfer_note_format", "1"));
  }
}

TEST_CASE("debtor_info_sha256 is empty or 64 hex digits of one case", "[smp][fields]") {
  const auto sha = [](const std::string& text) {
    return valid_with(mt::account_update, "debtor_info_sha256", quoted(text));
  };
  CHECK(sha(""));
  CHECK(sha(repeat("A", 64)));
  CHECK(sha(repeat("a", 64)));
  CHECK(sha(repeat("0", 64)));
  CHECK(sha(repeat("0123456789ABCDEF", 4)));
  CHECK(sha(repeat("0123456789abcdef", 4)));
  CHECK_FALSE(sha(repeat("a", 63) + "A"));
  CHECK_FALSE(sha(repeat("a", 63)));
  CHECK_FALSE(sha(repeat("a", 65)));
  CHECK_FALSE(sha(repeat("g", 64)));
  CHECK_FALSE(sha(repeat("a", 64) + "\n"));
  CHECK_FALSE(sha("\n"));
  CHECK_FALSE(sha(repeat("a", 63) + " "));
}

TEST_CASE("status_code: not OK in RejectedTransfer, anything in FinalizedTransfer", "[smp][fields]") {
  CHECK_FALSE(valid_with(mt::rejected_transfer, "status_code", "\"OK\""));
  CHECK(valid_with(mt::rejected_transfer, "status_code", "\"ok\""));
  CHECK(valid_with(mt::rejected_transfer, "status_code", "\"OK \""));
  CHECK(valid_with(mt::rejected_transfer, "status_code", "\"\""));
  CHECK(valid_with(mt::finalized_transfer, "status_code", "\"OK\""));
}

TEST_CASE("the type member must name the type given outside the body", "[smp][fields]") {
  for (mt type : all_types()) {
    INFO(type_name(type));
    CHECK(valid_with(type, "type", quoted(type_name(type))));
    for (mt other : all_types()) {
      if (other != type) CHECK_FALSE(valid_with(type, "type", quoted(type_name(other))));
    }
    for (const char* bad : {"\"\"", "1", "null", "\"Heartbeat\""}) CHECK_FALSE(valid_with(type, "type", bad));
    CHECK_FALSE(valid_with(type, "type", quoted(std::string(type_name(type)) + " ")));
  }
  CHECK_FALSE(valid_with(mt::configure_account, "type", "\"configureaccount\""));
}

TEST_CASE("every member is required and null is never accepted", "[smp][fields]") {
  for (mt type : all_types()) {
    for (const auto& m : example(type)) {
      INFO(type_name(type) << "." << m.key);
      CHECK_FALSE(valid(type, without(example(type), m.key)));
      CHECK_FALSE(valid_with(type, m.key, "null"));
    }
  }
}

TEST_CASE("datetime members take datetime strings only", "[smp][fields]") {
  for (mt type : all_types()) {
    for (const auto& m : example(type)) {
      if (m.json.size() != 27 || m.json[11] != 'T') continue;  // the "YYYY-MM-DDTHH:MM:SS+00:00" members
      INFO(type_name(type) << "." << m.key);
      CHECK(valid_with(type, m.key, "\"2022-1-1T0:0Z\""));
      CHECK(valid_with(type, m.key, "\"2022-01-01T00:00:00\""));  // naive passes validation
      for (const char* bad : {"\"2022-01-01\"", "\"2022-01-01T00:00:00Z\\n\"", "\"2022-01-01T24:00:00Z\"", "0",
                              "1640995200", "true", "[]"}) {
        INFO(bad);
        CHECK_FALSE(valid_with(type, m.key, bad));
      }
    }
  }
}

TEST_CASE("date members take date strings only", "[smp][fields]") {
  for (mt type : {mt::account_update, mt::account_purge, mt::account_transfer}) {
    INFO(type_name(type));
    CHECK(valid_with(type, "creation_date", "\"2021-1-5\""));
    for (const char* bad : {"\"2021-01-01T00:00:00Z\"", "\"2021-01-01\\n\"", "\"0000-01-01\"", "20210105", "null"}) {
      INFO(bad);
      CHECK_FALSE(valid_with(type, "creation_date", bad));
    }
  }
}

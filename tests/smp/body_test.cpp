// Whole-body JSON rules of docs/smp-messages.md §2: object at top level, strict
// UTF-8, duplicates, unknown members, surrogates, trailing bytes, nesting.

#include "core/smp/message.hpp"

#include "examples.hpp"

#include <catch2/catch.hpp>

using namespace swpt::smp;
using namespace smp_test;
using mt = message_type;

namespace {

const mt ca = mt::configure_account;

bool parses(std::string_view text, mt type = ca) { return message::parse(type, text).has_value(); }

std::string canonical(mt type = ca) { return body(example(type)); }

// The ConfigureAccount example with one more raw member text inserted first.
std::string with_raw_member(std::string_view raw) {
  std::string text = canonical();
  text.insert(1, std::string(raw) + ", ");
  return text;
}

}  // namespace

TEST_CASE("the whole body must be a JSON object", "[smp][body]") {
  for (const char* bad : {"1", "1.0", "false", "true", "\"text\"", "null", "[]", "[{}]", "{}", "", " ", "\n"}) {
    INFO(bad);
    CHECK_FALSE(parses(bad));
  }
  CHECK_FALSE(parses("[" + canonical() + "]"));
  CHECK_FALSE(parses("\"" + canonical() + "\""));
}

TEST_CASE("malformed JSON is invalid", "[smp][body]") {
  const std::string ok = canonical();
  CHECK(parses(ok));
  CHECK_FALSE(parses(ok.substr(0, ok.size() - 1)));
  CHECK_FALSE(parses(ok + "}"));
  CHECK_FALSE(parses(ok + ok));
  CHECK_FALSE(parses(ok + " x"));
  CHECK_FALSE(parses(ok + ","));
  CHECK_FALSE(parses(with_raw_member("\"x\": 1,")));  // a trailing comma inside
  CHECK_FALSE(parses(with_raw_member("'x': 1")));     // single quotes
  CHECK_FALSE(parses(with_raw_member("x: 1")));       // bare key
  CHECK_FALSE(parses(with_raw_member("/* c */ \"x\": 1")));
  CHECK_FALSE(parses(with_raw_member("\"x\": 01")));
  CHECK_FALSE(parses(with_raw_member("\"x\": +1")));
  CHECK_FALSE(parses(with_raw_member("\"x\": .5")));
  CHECK_FALSE(parses(with_raw_member("\"x\": 0x10")));
  CHECK_FALSE(parses(with_raw_member("\"x\": \"\\x41\"")));
}

TEST_CASE("whitespace around the object is allowed, other trailing bytes are not", "[smp][body]") {
  CHECK(parses(" \t\r\n" + canonical() + " \t\r\n"));
  CHECK_FALSE(parses(canonical() + std::string(1, '\0')));
  CHECK_FALSE(parses(canonical() + std::string("\0{}", 3)));
  CHECK_FALSE(parses(std::string("\0", 1) + canonical()));
  CHECK_FALSE(parses(canonical() + "\f"));
  CHECK_FALSE(parses(canonical() + "\xc2\xa0"));  // no-break space
}

TEST_CASE("a byte-order mark makes the body invalid", "[smp][body]") {
  CHECK_FALSE(parses("\xef\xbb\xbf" + canonical()));
}

TEST_CASE("the body must be strict UTF-8 everywhere", "[smp][body]") {
  const char* bad_bytes[] = {
      "\xc0\x80",          // overlong NUL
      "\xe0\x80\xaf",      // overlong '/'
      "\xed\xa0\x80",      // encoded high surrogate
      "\xed\xbf\xbf",      // encoded low surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf5\x80\x80\x80",  // invalid lead byte
      "\xff",              //
      "\x80",              // stray continuation
      "\xd0",              // truncated
      "\xe2\x82",          // truncated
  };
  for (const char* bytes : bad_bytes) {
    INFO(quoted(bytes));
    CHECK_FALSE(valid_with(ca, "config_data", "\"a" + std::string(bytes) + "\""));
    CHECK_FALSE(parses(with_raw_member("\"unknown\": \"" + std::string(bytes) + "\"")));
    CHECK_FALSE(parses(with_raw_member("\"k" + std::string(bytes) + "\": 1")));
    CHECK_FALSE(parses(with_raw_member("\"seqnum\": \"" + std::string(bytes) + "\"")));  // replaced later
    CHECK_FALSE(parses(with_raw_member("\"ts\": \"" + std::string(bytes) + "\"")));
    CHECK_FALSE(parses(with_raw_member("\"config_data\": \"" + std::string(bytes) + "\"")));
  }
  CHECK(valid_with(ca, "config_data", "\"\xf4\x8f\xbf\xbf \xef\xbf\xbf \xe0\xa0\x80 \xc2\x80\""));
}

TEST_CASE("raw control characters inside strings are invalid JSON", "[smp][body]") {
  for (char c : {'\x01', '\n', '\t', '\x1f'}) {
    INFO(static_cast<int>(c));
    CHECK_FALSE(valid_with(ca, "config_data", "\"a" + std::string(1, c) + "b\""));
    CHECK_FALSE(parses(with_raw_member("\"unknown\": \"" + std::string(1, c) + "\"")));
  }
  CHECK_FALSE(valid_with(ca, "config_data", std::string("\"a\0b\"", 5)));
  CHECK(valid_with(ca, "config_data", "\"a\x7f" "b\""));  // DEL is not a control character to JSON
}

TEST_CASE("escaped characters are unescaped", "[smp][body]") {
  const auto m =
      message::parse(ca, body(with(example(ca), "config_data", R"("\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00")")));
  REQUIRE(m);
  CHECK(m->str(field::config_data) == std::string("\"\\/\b\f\n\r\t\0\xc3\xa9\xf0\x9f\x98\x80", 15));
}

TEST_CASE("lone surrogate escapes make the message invalid", "[smp][body]") {
  for (const char* escape : {"\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud800\\u0041", "\\udc00\\ud800",
                             "\\ud800\\ud800", "\\ud83d"}) {
    INFO(escape);
    const std::string text = std::string("\"x") + escape + "\"";
    CHECK_FALSE(valid_with(ca, "config_data", text));                          // byte-limited in the original
    CHECK_FALSE(valid_with(mt::prepare_transfer, "recipient", text));          // not byte-limited
    CHECK_FALSE(valid_with(mt::account_update, "debtor_info_iri", text));      // neither ASCII nor byte-limited
    CHECK_FALSE(parses(with_raw_member("\"unknown\": " + text)));              // even when ignored
    CHECK_FALSE(parses(with_raw_member("\"unknown\": [" + text + "]")));
    CHECK_FALSE(parses(with_raw_member(text + ": 1")));                        // and in keys
    CHECK_FALSE(parses(with_raw_member("\"seqnum\": " + text)));             // even when replaced later
  }
  CHECK(valid_with(ca, "config_data", "\"\\ud83d\\ude00\""));
  CHECK(valid_with(ca, "config_data", "\"\\uD83D\\uDE00\""));
}

TEST_CASE("unknown members are ignored, whatever they hold", "[smp][body]") {
  for (const char* value : {"\"ignored\"", "1", "-1.5e300", "12345678901234567890123", "1e-400", "null", "true",
                            "[]", "{}", "{\"a\": [1, {\"b\": null}], \"c\": \"\\u00e9\"}", "[[[[[[[[[[1]]]]]]]]]]"}) {
    INFO(value);
    CHECK(parses(with_raw_member(std::string("\"unknown\": ") + value)));
  }
  // Members of other types are unknown here too.
  CHECK(valid_with(ca, "recipient", "12"));
  CHECK(valid_with(ca, "coordinator_type", "null"));
}

TEST_CASE("numbers beyond the double range and NaN are invalid even when ignored", "[smp][body]") {
  for (const char* value : {"NaN", "Infinity", "-Infinity", "1e400", "-1e309", "nan", "inf"}) {
    INFO(value);
    CHECK_FALSE(parses(with_raw_member(std::string("\"unknown\": ") + value)));
  }
}

TEST_CASE("keys are exact: case and spaces matter", "[smp][body]") {
  members ms = without(example(ca), "seqnum");
  CHECK_FALSE(valid(ca, with(ms, "Seqnum", "1")));
  CHECK_FALSE(valid(ca, with(ms, "seqnum ", "1")));
  CHECK_FALSE(valid(ca, with(ms, "seq\\u006eum_", "1")));
  CHECK(valid(ca, with(ms, "seq\\u006eum", "1")));  // escapes in keys are unescaped first
}

TEST_CASE("duplicate keys: the last one wins", "[smp][body]") {
  const std::string ok = canonical();
  CHECK(parses(with_raw_member("\"seqnum\": \"not a number\"")));
  CHECK(parses(with_raw_member("\"seqnum\": [1, 2]")));
  CHECK(parses(with_raw_member("\"seqnum\": {\"a\": 1}")));
  CHECK(parses(with_raw_member("\"type\": \"PrepareTransfer\"")));
  CHECK_FALSE(parses(ok.substr(0, ok.size() - 1) + ", \"seqnum\": \"not a number\"}"));
  CHECK_FALSE(parses(ok.substr(0, ok.size() - 1) + ", \"type\": \"PrepareTransfer\"}"));
  CHECK_FALSE(parses(ok.substr(0, ok.size() - 1) + ", \"seqnum\": null}"));

  const auto m = message::parse(ca, ok.substr(0, ok.size() - 1) + ", \"seqnum\": 77, \"seqnum\": 78}");
  REQUIRE(m);
  CHECK(m->i64(field::seqnum) == 78);
  CHECK(m->to_json() == body(with(example(ca), "seqnum", "78")));
}

TEST_CASE("members that are objects or arrays are invalid", "[smp][body]") {
  CHECK_FALSE(valid_with(ca, "seqnum", "[1]"));
  CHECK_FALSE(valid_with(ca, "seqnum", "{\"seqnum\": 1}"));
  CHECK_FALSE(valid_with(ca, "config_data", "[\"\"]"));
  CHECK_FALSE(valid_with(ca, "ts", "{}"));
}

TEST_CASE("deep nesting is bounded, never a crash", "[smp][body]") {
  const auto nested = [](std::size_t depth) {
    return with_raw_member("\"unknown\": " + repeat("[", depth) + repeat("]", depth));
  };
  CHECK(parses(nested(62)));          // 63 levels with the root
  CHECK(parses(nested(63)));          // 64: the limit
  CHECK_FALSE(parses(nested(64)));
  CHECK_FALSE(parses(nested(100000)));
  CHECK_FALSE(parses(repeat("[", 100000)));
  CHECK_FALSE(parses(repeat("{\"a\":", 100000)));
}

TEST_CASE("validation vectors of the §3 table for whole bodies", "[smp][body]") {
  CHECK(valid_with(mt::rejected_config, "config_seqnum", "2147483647"));
  CHECK(valid_with(ca, "creditor_id", "-1"));
  CHECK_FALSE(valid_with(ca, "creditor_id", "12345678901234567890"));
  CHECK_FALSE(parses("{}"));
  for (const char* whole : {"1", "1.0", "false", "\"text\"", "null", "[]"}) CHECK_FALSE(parses(whole));
  const auto m = message::parse(ca, with_raw_member("\"unknown\": \"ignored\""));
  REQUIRE(m);
  CHECK(m->to_json() == canonical());
  CHECK(m->to_json().find("unknown") == std::string::npos);
}

TEST_CASE("a body is checked against the type given outside it", "[smp][body]") {
  for (mt type : all_types()) {
    for (mt other : all_types()) {
      INFO(type_name(type) << " as " << type_name(other));
      CHECK(parses(canonical(type), other) == (type == other));
    }
  }
}

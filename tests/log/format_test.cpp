// format_record: the text and JSON lines, context fields, and the escaping
// that keeps a peer's text on one line.

#include "log/log.hpp"
#include "log/untrusted.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace swpt;

namespace {

constexpr std::time_t when = 1'686'564'000;  // 2023-06-12 10:00:00 UTC

// The text line after its timestamp (whose shape depends on the time zone).
std::string text_after_time(const log::record& r) {
  const auto line = log::format_record(log::format::text, r, when);
  const auto level = line.find(":INFO:");
  REQUIRE(level != std::string::npos);
  return line.substr(level + 1);
}

// The JSON line after the asctime value.
std::string json_after_time(const log::record& r) {
  const auto line = log::format_record(log::format::json, r, when);
  REQUIRE(line.rfind(R"({"asctime": ")", 0) == 0);
  const auto end = line.find(R"(", "levelname")");
  REQUIRE(end != std::string::npos);
  return line.substr(end + 3);
}

}  // namespace

TEST_CASE("a record without fields keeps the original line shapes", "[log]") {
  const log::record r{log::level::info, "swpt_stomp.server", "Started STOMP server at port 1234."};
  CHECK(text_after_time(r) == "INFO:swpt_stomp.server:Started STOMP server at port 1234.");
  CHECK(json_after_time(r) ==
        R"("levelname": "INFO", "name": "swpt_stomp.server", "message": "Started STOMP server at port 1234."})");
}

TEST_CASE("context fields follow the message", "[log]") {
  const std::vector<log::field> fields{{"peer", "1234abcd"}, {"queue", "aa.1234abcd"}};
  const log::record r{log::level::info, "swpt_stomp.client", "Opened STOMP connection", fields};
  CHECK(text_after_time(r) == "INFO:swpt_stomp.client:Opened STOMP connection [peer=1234abcd queue=aa.1234abcd]");
  CHECK(json_after_time(r) == R"("levelname": "INFO", "name": "swpt_stomp.client", )"
                              R"("message": "Opened STOMP connection", "peer": "1234abcd", "queue": "aa.1234abcd"})");
}

TEST_CASE("field values cannot break the field list", "[log]") {
  const std::vector<log::field> fields{{"queue", "a b]c\\d\n"}};
  const log::record r{log::level::info, "x", "m", fields};
  CHECK(text_after_time(r) == R"(INFO:x:m [queue=a\x20b\x5dc\\d\n])");
  CHECK(json_after_time(r) == R"("levelname": "INFO", "name": "x", "message": "m", "queue": "a b]c\\d\n"})");
}

TEST_CASE("logger::with adds or replaces a field and leaves the original alone", "[log]") {
  const log::logger base{"swpt_stomp.server"};
  const auto peer = base.with("peer", "1234abcd");
  const auto both = peer.with("queue", "q").with("peer", "5678abcd");
  CHECK(base.fields().empty());
  REQUIRE(peer.fields().size() == 1);
  CHECK(peer.fields()[0].value == "1234abcd");
  REQUIRE(both.fields().size() == 2);
  CHECK(both.fields()[0].key == "peer");
  CHECK(both.fields()[0].value == "5678abcd");
  CHECK(both.fields()[1].key == "queue");
  CHECK(both.name() == "swpt_stomp.server");
}

TEST_CASE("a logger's records carry its fields to the sink", "[log]") {
  std::vector<std::string> lines;
  log::configure(
      [&](const log::record& r) { lines.push_back(log::format_record(log::format::json, r, when)); },
      log::level::debug);
  log::logger{"n"}.with("peer", "1234abcd").info("hello {}", 1);
  log::configure(log::stdout_sink(log::format::text), log::level::info);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("message": "hello 1", "peer": "1234abcd"})") != std::string::npos);
}

TEST_CASE("text lines escape control characters, so a message is one line", "[log]") {
  const std::string forged = "bad\r\n2023-06-12 10:00:00+0000:ERROR:swpt_stomp.server:forged\x1b[2J\x07\\";
  const log::record r{log::level::info, "x", forged};
  const auto line = text_after_time(r);
  CHECK(line == R"(INFO:x:bad\r\n2023-06-12 10:00:00+0000:ERROR:swpt_stomp.server:forged\e[2J\x07\\)");
  CHECK(line.find_first_of("\r\n\x1b") == std::string::npos);
}

TEST_CASE("text lines escape C1 controls and invalid UTF-8, and keep other UTF-8", "[log]") {
  const log::record r{log::level::info, "x", "\xc2\x9b" "31m \xe2\x80\xa8 \xff\xc3 \xc3\xa9 \xe2\x82\xac"};
  CHECK(text_after_time(r) == "INFO:x:\\u009b31m \\u2028 \\xff\\xc3 \xc3\xa9 \xe2\x82\xac");
}

TEST_CASE("JSON lines stay JSON: control characters escaped, invalid UTF-8 replaced", "[log]") {
  const log::record r{log::level::info, "x", "a\n\x1b\"\\\xc2\x85\xed\xa0\x80\xf8\x88\x80\x80\x80 \xc3\xa9"};
  CHECK(json_after_time(r) == "\"levelname\": \"INFO\", \"name\": \"x\", \"message\": "
                              "\"a\\n\\u001b\\\"\\\\\\u0085"
                              "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd \xc3\xa9\"}");
}

TEST_CASE("untrusted text is bounded", "[log]") {
  CHECK(fmt::format("{}", log::untrusted("short")) == "short");
  CHECK(fmt::format("<{}>", log::untrusted(std::string(log::untrusted_limit, 'a'))) ==
        "<" + std::string(log::untrusted_limit, 'a') + ">");
  CHECK(fmt::format("{}", log::untrusted(std::string(1000, 'b'), 10)) == "bbbbbbbbbb...(990 more bytes)");
}

// The caller-facing contract of the parser: results and `consumed`, heart-beats,
// several frames in one buffer, view lifetimes, immediate failures, limits,
// and the places where we deliberately differ from the original.

#include "feed.hpp"

#include "core/stomp/error.hpp"
#include "core/stomp/parser.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using swpt::stomp::errc;
using swpt::stomp::frame;
using swpt::stomp::parse_status;
using swpt::stomp::parser;
using swpt::stomp::parser_limits;
using stomp_test::feed_every_way;
using stomp_test::feed_whole;
using stomp_test::outcome;

namespace {

bool points_into(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// The status of parsing `input` in one call with a fresh parser.
parse_status status_of(std::string_view input, parser_limits limits = {}) {
  parser p{limits};
  return p.parse(input).status;
}

errc error_of(std::string_view input, parser_limits limits = {}) {
  parser p{limits};
  const auto r = p.parse(input);
  REQUIRE(r.status == parse_status::error);
  REQUIRE(&r.error.category() == &swpt::stomp::stomp_category());
  return static_cast<errc>(r.error.value());
}

}  // namespace

TEST_CASE("frames are returned one per call with the bytes to drop", "[stomp][parser]") {
  const std::string buf = "\r\nSEND\na:1\n\nxy\0\nMESSAGE\nb:2\n\n\0TAIL"s;
  parser p;
  auto r = p.parse(buf);
  REQUIRE(r.status == parse_status::frame);
  CHECK(r.consumed == 2 + 5 + 4 + 1 + 3);
  CHECK(r.frame.command == "SEND");
  REQUIRE(r.frame.headers.size() == 1);
  CHECK(r.frame.headers[0] == swpt::stomp::header_view{"a", "1"});
  CHECK(r.frame.body == "xy");
  CHECK(r.frame.header("a") == "1");
  CHECK_FALSE(r.frame.header("b"));

  std::string_view rest = std::string_view{buf}.substr(r.consumed);
  r = p.parse(rest);
  REQUIRE(r.status == parse_status::frame);
  CHECK(r.consumed == 1 + 8 + 4 + 1 + 1);
  CHECK(r.frame.to_frame() == frame{"MESSAGE", {{"b", "2"}}, ""});

  rest = rest.substr(r.consumed);
  CHECK(rest == "TAIL");
  CHECK(p.parse(rest).status == parse_status::need_more);
}

TEST_CASE("views point into the caller's buffer unless text was unescaped", "[stomp][parser]") {
  const std::string buf = "SEND\nplain:text\nesc\\c:a\\nb\n\nbody\0"s;
  parser p;
  const auto r = p.parse(buf);
  REQUIRE(r.status == parse_status::frame);
  REQUIRE(r.frame.headers.size() == 2);
  CHECK(points_into(r.frame.command, buf));
  CHECK(points_into(r.frame.body, buf));
  CHECK(points_into(r.frame.headers[0].first, buf));
  CHECK(points_into(r.frame.headers[0].second, buf));
  CHECK(r.frame.headers[1] == swpt::stomp::header_view{"esc:", "a\nb"});
  CHECK_FALSE(points_into(r.frame.headers[1].first, buf));
  CHECK_FALSE(points_into(r.frame.headers[1].second, buf));
}

TEST_CASE("the caller may reallocate its buffer between calls", "[stomp][parser]") {
  std::string buf = "SEND\nk\\\\ey:val\\nue\nplain:x\n";
  parser p;
  REQUIRE(p.parse(buf).status == parse_status::need_more);
  buf += std::string(1000, 'y');  // not a valid line yet, but it moves the buffer
  buf.resize(buf.size() - 1000);
  buf.shrink_to_fit();
  buf += "\nbody\0"s;
  const auto r = p.parse(buf);
  REQUIRE(r.status == parse_status::frame);
  CHECK(r.frame.to_frame() == frame{"SEND", {{"k\\ey", "val\nue"}, {"plain", "x"}}, "body"});
}

TEST_CASE("heart-beats alone are reported as consumed", "[stomp][parser][heartbeat]") {
  parser p;
  auto r = p.parse("\n\r\n\n");
  CHECK(r.status == parse_status::heartbeat);
  CHECK(r.consumed == 4);
  r = p.parse("\n\r");  // the CR may be half of a CRLF: it stays in the buffer
  CHECK(r.status == parse_status::heartbeat);
  CHECK(r.consumed == 1);
  CHECK(p.parse("\r").status == parse_status::need_more);
  r = p.parse("\r\n");
  CHECK(r.status == parse_status::heartbeat);
  CHECK(r.consumed == 2);
  CHECK(p.parse("").status == parse_status::need_more);
}

TEST_CASE("a CRLF heart-beat split across reads waits (original's quirk fixed)",
          "[stomp][parser][heartbeat]") {
  stomp_test::feeder f;
  f.push("SEND\n\nA\0\r"s);
  f.push("\nSEND\n\nB\0\r"s);
  f.push("\n\r"s);
  f.push("\n"s);
  CHECK(f.result() == outcome{{{"SEND", {}, "A"}, {"SEND", {}, "B"}}, {}, {}});
}

TEST_CASE("a lone CR between frames is an invalid frame", "[stomp][parser][heartbeat]") {
  CHECK(feed_every_way("SEND\n\n\0\rSEND\n\n\0"s) ==
        outcome{{{"SEND", {}, ""}}, errc::invalid_frame, {}});
  CHECK(feed_every_way("\r\r\n"s) == outcome{{}, errc::invalid_frame, {}});
}

TEST_CASE("many frames with heart-beats in between, every way", "[stomp][parser]") {
  const std::string input =
      "\nCONNECT\r\naccept-version:1.2\r\nhost:x\r\n\r\n\0\r\n\n"
      "SEND\ndestination:/exchange/smp\ncontent-length:3\n\na\0b\0\r\n"
      "SEND\nreceipt:1\n\n{}\0\n"
      "DISCONNECT\nreceipt:2\n\n\0"s;
  CHECK(feed_every_way(input) ==
        outcome{{{"CONNECT", {{"accept-version", "1.2"}, {"host", "x"}}, ""},
                 {"SEND", {{"destination", "/exchange/smp"}, {"content-length", "3"}}, "a\0b"s},
                 {"SEND", {{"receipt", "1"}}, "{}"},
                 {"DISCONNECT", {{"receipt", "2"}}, ""}},
                {},
                {}});
}

TEST_CASE("an unfinished frame is pending, not an error", "[stomp][parser]") {
  for (const std::string& input : {"S"s, "SEND"s, "SEND\r"s, "SEND\n"s, "SEND\nk"s, "SEND\nk:"s,
                                  "SEND\nk:v\r"s, "SEND\nk:v\n\r"s, "SEND\n\nbody"s,
                                  "SEND\ncontent-length:5\n\nab\0c"s}) {
    INFO(stomp_test::printable(input));
    const outcome o = feed_every_way(input);
    CHECK_FALSE(o.error);
    CHECK(o.frames.empty());
    CHECK(o.pending == input);
  }
}

TEST_CASE("a partial head fails as soon as it cannot become valid", "[stomp][parser]") {
  const std::string fifty(50, 'A');
  CHECK(status_of(fifty) == parse_status::need_more);
  CHECK(status_of(fifty + "\r") == parse_status::need_more);
  CHECK(error_of(fifty + "A") == errc::invalid_frame);
  CHECK(error_of("SEND\rX") == errc::invalid_frame);
  CHECK(error_of("SENd") == errc::invalid_frame);

  const std::string head = "SEND\n";
  CHECK(status_of(head + std::string(500, 'k')) == parse_status::need_more);
  CHECK(error_of(head + std::string(501, 'k')) == errc::invalid_frame);
  CHECK(status_of(head + "k:" + std::string(500, 'v') + "\r") == parse_status::need_more);
  CHECK(error_of(head + "k:" + std::string(501, 'v')) == errc::invalid_frame);
  CHECK(error_of(head + ":") == errc::invalid_frame);         // empty key
  CHECK(error_of(head + "a:b:") == errc::invalid_frame);      // a second colon
  CHECK(error_of(head + "k\r") == errc::invalid_frame);       // no colon before the EOL
  CHECK(error_of(head + "k:v\rx") == errc::invalid_frame);    // CR inside a line
  CHECK(error_of(head + "\rx") == errc::invalid_frame);       // neither a line nor the blank line

  std::string fifty_lines = head;
  for (int i = 0; i < 50; ++i) fifty_lines += "k:v\n";
  CHECK(status_of(fifty_lines + "\r") == parse_status::need_more);
  CHECK(error_of(fifty_lines + "k") == errc::invalid_frame);  // a 51st line
}

TEST_CASE("a CR that was last in one call fails once a non-LF follows", "[stomp][parser]") {
  for (const std::string& head : {"SEND\r"s, "SEND\nk:v\r"s, "SEND\n\r"s}) {
    INFO(stomp_test::printable(head));
    parser p;
    CHECK(p.parse(head).status == parse_status::need_more);
    const auto r = p.parse(head + "X");
    CHECK(r.status == parse_status::error);
    CHECK(r.error == errc::invalid_frame);
  }
}

TEST_CASE("later bytes of an unfinished line are checked when they arrive", "[stomp][parser]") {
  parser p;
  CHECK(p.parse("SEND\nkey:").status == parse_status::need_more);
  CHECK(p.parse("SEND\nkey:val").status == parse_status::need_more);
  CHECK(p.parse("SEND\nkey:val:").error == errc::invalid_frame);
}

TEST_CASE("special bytes are seen at every offset of a line", "[stomp][parser]") {
  for (std::size_t k = 0; k < 40; ++k) {
    INFO("offset " << k);
    const std::string pad(k, 'p');
    CHECK(feed_whole("SEND\n" + pad + "\\ck:" + pad + "\\n\xd0\xa9\n\n\0"s) ==
          outcome{{{"SEND", {{pad + ":k", pad + "\n\xd0\xa9"}}, ""}}, {}, {}});
    CHECK(feed_whole("SEND\nk" + pad + "\xff:v\n\n\0"s).error == errc::utf8_decode_error);
    CHECK(feed_whole("SEND\nk:" + pad + "\xff\n\n\0"s).error == errc::utf8_decode_error);
    CHECK(feed_whole("SEND\nk:" + pad + "\\t\n\n\0"s).error == errc::invalid_header);
    for (const char bad : {'\0', '\r', ':'}) {
      CHECK(feed_whole("SEND\nk:" + pad + bad + "v\n\n\0"s).error == errc::invalid_frame);
      if (bad != ':')
        CHECK(feed_whole("SEND\nk" + pad + bad + ":v\n\n\0"s).error == errc::invalid_frame);
    }
  }
}

TEST_CASE("a NUL in the head is an invalid frame (the original accepts it)", "[stomp][parser]") {
  CHECK(feed_every_way("SEND\na:b\0c\n\nbody\0"s) == outcome{{}, errc::invalid_frame, {}});
  CHECK(feed_every_way("SEND\na\0:b\n\n\0"s) == outcome{{}, errc::invalid_frame, {}});
  CHECK(error_of("SEND\na:b\0"s) == errc::invalid_frame);
  CHECK(error_of("SEND\0"s) == errc::invalid_frame);
}

TEST_CASE("content-length counts only when it is plain decimal digits", "[stomp][parser]") {
  // Treated as 0, the body ends at the first NUL and what follows is garbage.
  for (const std::string& text : {"+3"s, " 3 "s, "1_0"s, "-3"s, "3 "s, ""s, "0x3"s}) {
    INFO('[' << text << ']');
    CHECK(feed_every_way("SEND\ncontent-length:" + text + "\n\na\0b\0"s) ==
          outcome{{{"SEND", {{"content-length", text}}, "a"}}, errc::invalid_frame, {}});
  }
  CHECK(feed_every_way("SEND\ncontent-length:003\n\na\0b\0"s) ==
        outcome{{{"SEND", {{"content-length", "003"}}, "a\0b"s}}, {}, {}});
  CHECK(feed_every_way("SEND\ncontent-length:99999999999999999999999999\n\n\0"s) ==
        outcome{{}, errc::content_length_too_large, {}});
}

TEST_CASE("only the first content-length counts", "[stomp][parser]") {
  CHECK(feed_every_way("SEND\ncontent-length:3\ncontent-length:0\n\na\0b\0"s) ==
        outcome{{{"SEND", {{"content-length", "3"}, {"content-length", "0"}}, "a\0b"s}}, {}, {}});
  CHECK(feed_every_way("SEND\ncontent-length:x\ncontent-length:3\n\na\0b\0"s).error ==
        errc::invalid_frame);
}

TEST_CASE("escapes: the four known ones, a lone trailing backslash, nothing else",
          "[stomp][parser]") {
  CHECK(feed_every_way("SEND\nk\\:v\\\\\\\n\n\0"s) ==
        outcome{{{"SEND", {{"k\\", "v\\\\"}}, ""}}, {}, {}});
  for (const std::string& bad : {"\\t"s, "\\ "s, "\\C"s, "\\\xd0\xa9"s, "\\\\\\x"s}) {
    INFO(stomp_test::printable(bad));
    CHECK(feed_every_way("SEND\nk:" + bad + "\n\n\0"s).error == errc::invalid_header);
    CHECK(feed_every_way("SEND\n" + bad + ":v\n\n\0"s).error == errc::invalid_header);
  }
  // Per header, the key is checked before the value, escapes before UTF-8.
  CHECK(error_of("SEND\nk\\t:\xff\n\n\0"s) == errc::invalid_header);
  CHECK(error_of("SEND\nk\xff:\\t\n\n\0"s) == errc::utf8_decode_error);
  CHECK(error_of("SEND\nk:\xff\\t\n\n\0"s) == errc::invalid_header);
}

TEST_CASE("after an error the parser stays dead", "[stomp][parser]") {
  parser p;
  auto r = p.parse("SEND\na:b:c\n\n\0"s);
  REQUIRE(r.status == parse_status::error);
  CHECK(r.error == errc::invalid_frame);
  CHECK(r.error.message() == "Invalid frame.");
  r = p.parse("SEND\n\n\0"s);
  CHECK(r.status == parse_status::error);
  CHECK(r.error == errc::invalid_frame);
  CHECK(r.consumed == 0);
}

TEST_CASE("every limit can be overridden", "[stomp][parser][limits]") {
  const parser_limits small{.max_header_block = 12,
                            .max_body = 4,
                            .max_header_lines = 2,
                            .max_command = 4,
                            .max_key = 3,
                            .max_value = 5};
  CHECK(feed_every_way("SEND\nkey:value\n\nbody\0"s, small) ==
        outcome{{{"SEND", {{"key", "value"}}, "body"}}, {}, {}});
  CHECK(error_of("SENDS", small) == errc::invalid_frame);
  CHECK(error_of("SEND\nkeys", small) == errc::invalid_frame);
  CHECK(error_of("SEND\nk:values", small) == errc::invalid_frame);
  CHECK(error_of("SEND\nk:v\nk:v\nk", small) == errc::invalid_frame);
  CHECK(feed_every_way("SEND\nk:v\nkey:value\n\n\0"s, small).error == errc::header_too_big);
  CHECK(feed_every_way("SEND\n\nbody!\0"s, small).error == errc::body_too_large);
  CHECK(feed_every_way("SEND\ncontent-length:5\n\n\0"s, parser_limits{.max_body = 4}).error ==
        errc::content_length_too_large);

  const parser_limits big{.max_body = 100000};
  const std::string body(100000, 'b');
  CHECK(feed_whole("SEND\n\n" + body + '\0', big) == outcome{{{"SEND", {}, body}}, {}, {}});
}

// The parser test vectors of docs/stomp.md §1, each fed in one chunk,
// byte by byte and split in two at every point (feed_every_way).

#include "feed.hpp"

#include "core/stomp/error.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using swpt::stomp::errc;
using swpt::stomp::frame;
using stomp_test::feed_every_way;
using stomp_test::outcome;

namespace {

outcome frames(std::vector<frame> fs) { return {std::move(fs), {}, {}}; }

outcome failure(errc e, std::vector<frame> fs = {}) { return {std::move(fs), e, {}}; }

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("a simple frame", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\nkey:value\n\nbody\0"s) ==
        frames({{"SEND", {{"key", "value"}}, "body"}}));
}

TEST_CASE("heart-beats around a frame are skipped", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("\n\n\r\nSEND\nkey:value\n\nbody\0\n\n\r\n"s) ==
        frames({{"SEND", {{"key", "value"}}, "body"}}));
}

TEST_CASE("CRLF line ends", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("CONNECT\r\nh1:v1\r\nh2:v2\r\n\r\n\0"s) ==
        frames({{"CONNECT", {{"h1", "v1"}, {"h2", "v2"}}, ""}}));
}

TEST_CASE("escapes are resolved in CONNECT too; a lone trailing backslash stays",
          "[stomp][parser][vectors]") {
  const std::string input = "CONNECT\n"s + R"(key\n\c:value\r\)" + "\n\n\0"s;
  REQUIRE(input.size() == 8 + 16 + 3);
  CHECK(feed_every_way(input) == frames({{"CONNECT", {{"key\n:", "value\r\\"}}, ""}}));
}

TEST_CASE("an unknown escape is an invalid header", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\n"s + R"(key\t:value)" + "\n\n\0"s) == failure(errc::invalid_header));
}

TEST_CASE("header text is UTF-8", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\nnon-ascii:\xd0\xa9\n\n\0"s) ==
        frames({{"SEND", {{"non-ascii", "\xd0\xa9"}}, ""}}));
  CHECK(feed_every_way("SEND\nnon-ascii:\xd0\n\n\0"s) == failure(errc::utf8_decode_error));
}

TEST_CASE("repeated headers are kept; the first one wins", "[stomp][parser][vectors]") {
  const outcome o = feed_every_way("SEND\na:1\na:2\n\n\0"s);
  CHECK(o == frames({{"SEND", {{"a", "1"}, {"a", "2"}}, ""}}));
  REQUIRE(o.frames.size() == 1);
  REQUIRE(o.frames[0].header("a"));
  CHECK(*o.frames[0].header("a") == "1");
}

TEST_CASE("a raw colon in a value is an invalid frame", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\na:b:c\n\n\0"s) == failure(errc::invalid_frame));
}

TEST_CASE("malformed commands are invalid frames", "[stomp][parser][vectors]") {
  for (const std::string& input : {"error"s, "CONNxxx"s, "send\n\n\0"s, "SEND \n\n\0"s, "SEND1\n\n\0"s}) {
    INFO(stomp_test::printable(input));
    CHECK(feed_every_way(input) == failure(errc::invalid_frame));
  }
}

TEST_CASE("a non-numeric content-length is accepted and kept as text", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\ncontent-length:INVALID\n\n\0"s) ==
        frames({{"SEND", {{"content-length", "INVALID"}}, ""}}));
}

TEST_CASE("content-length is a minimum body size", "[stomp][parser][vectors]") {
  const std::string body = "There is a \0 byte!"s;
  REQUIRE(body.size() == 18);
  const auto input = [&](std::string_view n) {
    return "SEND\ncontent-length:"s + std::string{n} + "\n\n" + body + '\0';
  };
  CHECK(feed_every_way(input("18")) == frames({{"SEND", {{"content-length", "18"}}, body}}));
  CHECK(feed_every_way(input("17")) == frames({{"SEND", {{"content-length", "17"}}, body}}));
  CHECK(feed_every_way(input("7")) ==
        failure(errc::invalid_frame, {{"SEND", {{"content-length", "7"}}, "There is a "}}));
  CHECK(feed_every_way("SEND\ncontent-length:0\n\nabc\0"s) ==
        frames({{"SEND", {{"content-length", "0"}}, "abc"}}));
}

TEST_CASE("the body is at most 8192 bytes", "[stomp][parser][vectors]") {
  const std::string ok(8192, 'x'), too_big(8193, 'x');
  CHECK(feed_every_way("SEND\n\n"s + ok + '\0') == frames({{"SEND", {}, ok}}));
  CHECK(feed_every_way("SEND\n\n"s + too_big + '\0') == failure(errc::body_too_large));
  CHECK(feed_every_way("SEND\ncontent-length:8193\n\n"s + too_big + '\0') ==
        failure(errc::content_length_too_large));
  CHECK(feed_every_way("SEND\ncontent-length:8192\n\n"s + ok + '\0') ==
        frames({{"SEND", {{"content-length", "8192"}}, ok}}));
}

TEST_CASE("at most 50 header lines", "[stomp][parser][vectors]") {
  CHECK(feed_every_way("SEND\n"s + repeat("key:value\n", 1000) + "\n\0"s) ==
        failure(errc::invalid_frame));
  CHECK(feed_every_way("SEND\n"s + repeat("k:v\n", 51) + "\n\0"s) == failure(errc::invalid_frame));
  const outcome o = feed_every_way("SEND\n"s + repeat("k:v\n", 50) + "\n\0"s);
  REQUIRE(o.frames.size() == 1);
  CHECK(o.frames[0].headers.size() == 50);
  CHECK_FALSE(o.error);
}

TEST_CASE("the header block is at most 4096 bytes", "[stomp][parser][vectors]") {
  const std::string line500 = std::string(500, 'k') + ":\n";
  CHECK(feed_every_way("SEND\n"s + repeat(line500, 9) + "\n\0"s) == failure(errc::header_too_big));

  // 8 lines of 502 bytes leave 80 bytes; "k:" + 77 'v' + LF makes 4096 (9 lines).
  const std::string block = repeat(line500, 8);
  REQUIRE(block.size() == 4016);
  const std::string exact = block + "k:" + std::string(77, 'v') + "\n";
  const std::string over = block + "k:" + std::string(78, 'v') + "\n";
  REQUIRE(exact.size() == 4096);
  const outcome o = feed_every_way("SEND\n"s + exact + "\n\0"s);
  REQUIRE(o.frames.size() == 1);
  CHECK(o.frames[0].headers.size() == 9);
  CHECK(o.frames[0].headers[8].second == std::string(77, 'v'));
  CHECK(feed_every_way("SEND\n"s + over + "\n\0"s) == failure(errc::header_too_big));
}

TEST_CASE("a head that cannot become valid fails at once", "[stomp][parser][vectors]") {
  swpt::stomp::parser p;
  const auto r = p.parse("SEND\n"s + std::string(501, 'k'));
  CHECK(r.status == swpt::stomp::parse_status::error);
  CHECK(r.error == errc::invalid_frame);
}

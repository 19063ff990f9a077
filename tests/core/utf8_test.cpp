#include "core/utf8.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using swpt::utf8::is_valid;

TEST_CASE("valid UTF-8 passes", "[utf8]") {
  for (const std::string& s : {""s, "ascii only, longer than eight bytes"s, "\0"s, "\x7f"s,
                              "\xc2\x80"s, "\xdf\xbf"s,                       // 2 bytes
                              "\xe0\xa0\x80"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s,
                              "\xef\xbf\xbf"s,                                // 3 bytes
                              "\xf0\x90\x80\x80"s, "\xf4\x8f\xbf\xbf"s,       // 4 bytes
                              "0123456789abcdef\xd0\xa9"s, "\xd0\xa9 0123456789abcdef"s,
                              "\xe2\x82\xac\xf0\x9f\x98\x80\xd0\xa9x"s}) {
    INFO(s);
    CHECK(is_valid(s));
  }
}

TEST_CASE("invalid UTF-8 fails", "[utf8]") {
  for (const std::string& s : {
           "\x80"s, "\xbf"s,                                   // lone continuation
           "\xc0\x80"s, "\xc1\xbf"s,                           // overlong 2-byte
           "\xe0\x80\x80"s, "\xe0\x9f\xbf"s,                   // overlong 3-byte
           "\xf0\x80\x80\x80"s, "\xf0\x8f\xbf\xbf"s,           // overlong 4-byte
           "\xed\xa0\x80"s, "\xed\xbf\xbf"s,                   // surrogates
           "\xf4\x90\x80\x80"s, "\xf5\x80\x80\x80"s, "\xff"s,  // above U+10FFFF
           "\xd0"s, "\xe2\x82"s, "\xf0\x9f\x98"s,              // truncated
           "\xd0x"s, "\xe2\x82x"s, "\xf0\x9f\x98x"s,           // bad continuation
           "01234567890abcdef\x80"s, "\xd0\xa9\xd0"s}) {
    INFO(s);
    CHECK_FALSE(is_valid(s));
  }
}

TEST_CASE("inspection counts code points and tells ASCII apart", "[utf8]") {
  using swpt::utf8::inspect;
  const auto ascii = inspect("ascii only, longer than eight bytes");
  CHECK(ascii.valid);
  CHECK(ascii.ascii);
  CHECK(ascii.code_points == 35);
  const auto mixed = inspect("0123456789abcdef\xd0\xa9\xf0\x9f\x98\x80x");
  CHECK(mixed.valid);
  CHECK_FALSE(mixed.ascii);
  CHECK(mixed.code_points == 19);
  CHECK_FALSE(inspect("abc\xed\xa0\x80").valid);  // a lone surrogate, as RapidJSON emits for "\udc00"
}

TEST_CASE("decoding stops at the first invalid sequence", "[utf8]") {
  const std::string text = "\xd0\xa9\xff";
  std::size_t pos = 0;
  CHECK(swpt::utf8::decode(text, pos) == U'\u0429');
  CHECK(pos == 2);
  CHECK_FALSE(swpt::utf8::decode(text, pos));
  CHECK(pos == 2);
}

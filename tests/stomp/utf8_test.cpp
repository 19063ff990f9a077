#include "core/stomp/utf8.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using swpt::stomp::is_valid_utf8;

TEST_CASE("valid UTF-8 passes", "[stomp][utf8]") {
  for (const std::string& s : {""s, "ascii only, longer than eight bytes"s, "\0"s, "\x7f"s,
                              "\xc2\x80"s, "\xdf\xbf"s,                       // 2 bytes
                              "\xe0\xa0\x80"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s,
                              "\xef\xbf\xbf"s,                                // 3 bytes
                              "\xf0\x90\x80\x80"s, "\xf4\x8f\xbf\xbf"s,       // 4 bytes
                              "0123456789abcdef\xd0\xa9"s, "\xd0\xa9 0123456789abcdef"s,
                              "\xe2\x82\xac\xf0\x9f\x98\x80\xd0\xa9x"s}) {
    INFO(s);
    CHECK(is_valid_utf8(s));
  }
}

TEST_CASE("invalid UTF-8 fails", "[stomp][utf8]") {
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
    CHECK_FALSE(is_valid_utf8(s));
  }
}

#include "core/stomp/escape.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using swpt::stomp::append_escaped;
using swpt::stomp::append_unescaped;

namespace {

std::string escaped(std::string_view s) {
  std::string out = ">";
  append_escaped(out, s);
  return out;
}

std::optional<std::string> unescaped(std::string_view s) {
  std::string out = ">";
  if (!append_unescaped(out, s)) return std::nullopt;
  return out;
}

}  // namespace

TEST_CASE("escaping writes CR, LF, colon and backslash as two characters", "[stomp][escape]") {
  CHECK(escaped("") == ">");
  CHECK(escaped("plain text") == ">plain text");
  CHECK(escaped("\r\n:\\") == R"(>\r\n\c\\)");
  CHECK(escaped("a:b\\c\nd\re") == R"(>a\cb\\c\nd\re)");
  CHECK(escaped("\xd0\xa9\t") == ">\xd0\xa9\t");
}

TEST_CASE("unescaping resolves exactly the four escapes", "[stomp][escape]") {
  CHECK(unescaped("") == ">");
  CHECK(unescaped(R"(a\rb\nc\cd\\e)") == ">a\rb\nc:d\\e");
  CHECK(unescaped(R"(\\\\)") == ">\\\\");
  CHECK(unescaped("x\\") == ">x\\");         // a lone trailing backslash stays
  CHECK(unescaped(R"(\\\)") == ">\\\\");      // an escaped one, then a lone one
  CHECK(unescaped("\\") == ">\\");
  for (const char* bad : {R"(\t)", R"(a\ b)", R"(\C)", R"(\R)", R"(\\\N)", "\\\n"}) {
    INFO(bad);
    CHECK_FALSE(unescaped(bad));
  }
}

TEST_CASE("escaping round-trips", "[stomp][escape]") {
  for (const char* s : {"", "a", ":", "\\", "\\\\c", "a\\cb", "\r\n\r\n", "x:\\y\\"}) {
    INFO(s);
    std::string e;
    append_escaped(e, s);
    std::string expected = ">";
    expected += s;
    CHECK(unescaped(e) == expected);
  }
}

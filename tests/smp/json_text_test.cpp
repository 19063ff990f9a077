#include "core/smp/json_text.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace swpt::smp;

namespace {

std::string float_text(double x) {
  std::string out;
  append_json_float(out, x);
  return out;
}

std::string string_text(std::string_view utf8) {
  std::string out;
  append_json_string(out, utf8);
  return out;
}

}  // namespace

TEST_CASE("floats are written like Python's repr", "[smp][json]") {
  // Expected texts are Python 3's json.dumps output for the same doubles.
  const std::pair<double, const char*> rows[] = {
      {1000.0, "1000.0"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1e30, "1e+30"},
      {1e-7, "1e-07"},
      {1.2345678901234568e+29, "1.2345678901234568e+29"},
      {1e308, "1e+308"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {9999999999999998.0, "9999999999999998.0"},
      {0.0001, "0.0001"},
      {1e-05, "1e-05"},
      {0.00015000000000000001, "0.00015000000000000001"},
      {0.00025, "0.00025"},
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {0.30000000000000004, "0.30000000000000004"},
      {-1.5, "-1.5"},
      {123.456, "123.456"},
      {-50.0, "-50.0"},
      {100.0, "100.0"},
      {3.0, "3.0"},
      {1.5e-5, "1.5e-05"},
      {5e-324, "5e-324"},
      {1.5e-323, "1.5e-323"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {-1.7976931348623157e308, "-1.7976931348623157e+308"},
      {1e22, "1e+22"},
      {9007199254740993.0, "9007199254740992.0"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {1234567890123456.7, "1234567890123456.8"},
      {-123456789012345.67, "-123456789012345.67"},
  };
  for (const auto& [x, text] : rows) {
    INFO(text);
    CHECK(float_text(x) == text);
  }
}

TEST_CASE("integers are plain decimal", "[smp][json]") {
  std::string out;
  append_json_int(out, 0);
  out += ' ';
  append_json_int(out, -1);
  out += ' ';
  append_json_int(out, std::numeric_limits<std::int64_t>::min());
  out += ' ';
  append_json_int(out, std::numeric_limits<std::int64_t>::max());
  CHECK(out == "0 -1 -9223372036854775808 9223372036854775807");
}

TEST_CASE("strings are escaped like Python's json.dumps", "[smp][json]") {
  const std::pair<std::string_view, const char*> rows[] = {
      {"", R"("")"},
      {"plain text ~!@#$%^&*()", R"x("plain text ~!@#$%^&*()")x"},
      {"\"", R"("\"")"},
      {"\\", R"("\\")"},
      {"/", R"("/")"},
      {"\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {std::string_view("\0\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
      {"\x7f", R"("\u007f")"},
      {"\xc3\xa9", R"("\u00e9")"},                            // é
      {"\xd0\xa9", R"("\u0429")"},                            // Щ
      {"\xe2\x80\xa8", R"("\u2028")"},                        // line separator
      {"\xef\xbf\xbf", R"("\uffff")"},                        // U+FFFF
      {"\xf0\x9f\x98\x80", R"("\ud83d\ude00")"},              // 😀
      {"\xf4\x8f\xbf\xbf", R"("\udbff\udfff")"},              // U+10FFFF
      {"a\xc3\xa9" "b\"c", R"("a\u00e9b\"c")"},
  };
  for (const auto& [in, out] : rows) {
    INFO(out);
    CHECK(string_text(in) == out);
  }
}

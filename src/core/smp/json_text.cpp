#include "core/smp/json_text.hpp"

#include "core/utf8.hpp"

#include <charconv>

namespace swpt::smp {
namespace {

// Python's repr switches to exponent notation outside [1e-4, 1e16).
constexpr int min_fixed_exponent = -4;
constexpr int max_fixed_exponent = 15;

bool needs_no_escape(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e && c != '"' && c != '\\';
}

char short_escape(char c) noexcept {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    default: return 0;
  }
}

void append_u_escape(std::string& out, char32_t unit) {
  constexpr char hex[] = "0123456789abcdef";
  const char text[] = {'\\', 'u', hex[(unit >> 12) & 0xf], hex[(unit >> 8) & 0xf], hex[(unit >> 4) & 0xf],
                       hex[unit & 0xf]};
  out.append(text, sizeof text);
}

void append_code_point_escape(std::string& out, char32_t cp) {
  if (cp < 0x10000) return append_u_escape(out, cp);
  cp -= 0x10000;
  append_u_escape(out, 0xd800 + (cp >> 10));
  append_u_escape(out, 0xdc00 + (cp & 0x3ff));
}

// `digits` are the shortest significant digits d1 d2 ... of the value
// d1.d2... × 10^exponent, with exponent in the fixed-notation range.
void append_fixed(std::string& out, std::string_view digits, int exponent) {
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
    return;
  }
  const auto int_digits = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= int_digits) {
    out += digits;
    out.append(int_digits - digits.size(), '0');
    out += ".0";
  } else {
    out += digits.substr(0, int_digits);
    out += '.';
    out += digits.substr(int_digits);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::size_t run = pos;
    while (run < utf8.size() && needs_no_escape(utf8[run])) ++run;
    out.append(utf8.data() + pos, run - pos);
    if (run == utf8.size()) break;
    pos = run;
    if (const char letter = short_escape(utf8[pos])) {
      out += '\\';
      out += letter;
      ++pos;
    } else if (const auto cp = utf8::decode(utf8, pos)) {
      append_code_point_escape(out, *cp);
    } else {
      append_code_point_escape(out, 0xfffd);  // unreachable for validated text
      ++pos;
    }
  }
  out += '"';
}

void append_json_int(std::string& out, std::int64_t number) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, number);
  out.append(buf, result.ptr);
}

void append_json_float(std::string& out, double number) {
  // Shortest round-trip digits in the form [-]d[.ddd]e±XX.
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, number, std::chars_format::scientific);
  const std::string_view text(buf, static_cast<std::size_t>(result.ptr - buf));
  const std::size_t e = text.find('e');
  int exponent = 0;
  std::from_chars(text.data() + e + 2, text.data() + text.size(), exponent);
  if (text[e + 1] == '-') exponent = -exponent;
  if (exponent < min_fixed_exponent || exponent > max_fixed_exponent) {
    out += text;  // already Python's exponent form
    return;
  }
  std::string_view mantissa = text.substr(0, e);
  if (mantissa.front() == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  char digits[24];
  std::size_t count = 0;
  for (char c : mantissa) {
    if (c != '.') digits[count++] = c;
  }
  append_fixed(out, std::string_view(digits, count), exponent);
}

}  // namespace swpt::smp

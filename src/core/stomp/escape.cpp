#include "core/stomp/escape.hpp"

namespace swpt::stomp {
namespace {

// The escape of a byte, or an empty view when it stands for itself.
constexpr std::string_view escape_of(char c) noexcept {
  switch (c) {
    case '\r': return "\\r";
    case '\n': return "\\n";
    case ':': return "\\c";
    case '\\': return "\\\\";
    default: return {};
  }
}

// The byte that "\<c>" stands for, or '\0' when the sequence is not allowed
// (a NUL can never be the result of a valid escape).
constexpr char unescape_of(char c) noexcept {
  switch (c) {
    case 'r': return '\r';
    case 'n': return '\n';
    case 'c': return ':';
    case '\\': return '\\';
    default: return '\0';
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  std::size_t run = 0;  // start of the pending run of bytes that stand for themselves
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string_view esc = escape_of(text[i]);
    if (esc.empty()) continue;
    out.append(text.substr(run, i - run));
    out.append(esc);
    run = i + 1;
  }
  out.append(text.substr(run));
}

bool append_unescaped(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\') continue;
    const char c = unescape_of(text[i + 1]);
    if (c == '\0') return false;
    out.append(text.substr(run, i - run));
    out.push_back(c);
    run = ++i + 1;  // skip the escaped character too
  }
  out.append(text.substr(run));
  return true;
}

}  // namespace swpt::stomp

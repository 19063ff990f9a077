#include "log/log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace swpt::log {
namespace {

struct destination {
  sink write = stdout_sink(format::text);
  std::atomic<level> threshold{level::info};
};

destination& dest() {
  static destination d;
  return d;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

// The length (1 to 4) of the well-formed UTF-8 sequence at `pos`, with its
// code point; 0 for a byte that starts none (stray continuation, overlong
// form, surrogate, beyond U+10FFFF, truncated).
std::size_t utf8_sequence(std::string_view s, std::size_t pos, char32_t& cp) noexcept {
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  const std::size_t n = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (n == 0 || lead > 0xf4 || pos + n > s.size()) return 0;
  cp = lead & (0x7f >> n);
  for (std::size_t i = 1; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// JSON string content: the escapes every JSON parser understands; bytes
// that are not UTF-8 become U+FFFD, so the line stays valid JSON.
void append_json_string(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<std::uint32_t>(cp));
        else
          out.append(s.substr(i, n));
    }
    i += n;
  }
}

// Text-line content: nothing a terminal or a line-based reader takes for a
// line break or a control sequence. In field values (`in_field`) a space and
// `]` are escaped too, so that the field list can be split.
void append_text(std::string& out, std::string_view s, bool in_field = false) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    switch (cp) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case 0x1b: out += "\\e"; break;
      default:
        if (cp < 0x20 || cp == 0x7f || (in_field && (cp == ' ' || cp == ']')))
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<std::uint32_t>(cp));
        else if ((cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<std::uint32_t>(cp));
        else
          out.append(s.substr(i, n));
    }
    i += n;
  }
}

std::string local_time(std::time_t when, const char* layout) {
  std::tm tm{};
  localtime_r(&when, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, layout, &tm));
}

}  // namespace

std::optional<level> parse_level(std::string_view name) noexcept {
  for (level l : {level::debug, level::info, level::warning, level::error})
    if (iequals(name, level_name(l))) return l;
  return std::nullopt;
}

std::string_view level_name(level l) noexcept {
  switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warning: return "WARNING";
    case level::error: return "ERROR";
  }
  return "ERROR";
}

std::optional<format> parse_format(std::string_view name) noexcept {
  if (name == "text") return format::text;
  if (name == "json") return format::json;
  return std::nullopt;
}

std::string format_record(format f, const record& r, std::time_t when) {
  if (f == format::text) {
    std::string line = fmt::format("{}:{}:", local_time(when, "%Y-%m-%d %H:%M:%S%z"), level_name(r.severity));
    append_text(line, r.logger);
    line += ':';
    append_text(line, r.message);
    if (!r.fields.empty()) {
      for (const auto& [key, value] : r.fields) {
        line += &key == &r.fields.front().key ? " [" : " ";
        append_text(line, key, true);
        line += '=';
        append_text(line, value, true);
      }
      line += ']';
    }
    return line;
  }
  std::string line = fmt::format(R"({{"asctime": "{}", "levelname": "{}", "name": ")",
                                 local_time(when, "%Y-%m-%dT%H:%M:%S%z"), level_name(r.severity));
  append_json_string(line, r.logger);
  line += R"(", "message": ")";
  append_json_string(line, r.message);
  for (const auto& [key, value] : r.fields) {
    line += R"(", ")";
    append_json_string(line, key);
    line += R"(": ")";
    append_json_string(line, value);
  }
  line += "\"}";
  return line;
}

sink stdout_sink(format f) {
  return [f, mutex = std::make_shared<std::mutex>()](const record& r) {
    std::string line = format_record(f, r, std::time(nullptr));
    line += '\n';
    const std::lock_guard lock{*mutex};
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  };
}

void configure(sink s, level t) {
  dest().write = std::move(s);
  dest().threshold = t;
}

level threshold() noexcept { return dest().threshold.load(std::memory_order_relaxed); }

void set_threshold(level t) noexcept { dest().threshold.store(t, std::memory_order_relaxed); }

void emit(level l, std::string_view logger, std::string_view message, std::span<const field> fields) noexcept {
  try {
    dest().write(record{l, logger, message, fields});
  } catch (...) {
    // Nowhere left to report it.
  }
}

logger logger::with(std::string_view key, std::string_view value) const {
  logger copy = *this;
  const auto it = std::find_if(copy.fields_.begin(), copy.fields_.end(), [&](const field& f) { return f.key == key; });
  if (it != copy.fields_.end()) it->value = value;
  else copy.fields_.push_back({std::string{key}, std::string{value}});
  return copy;
}

}  // namespace swpt::log

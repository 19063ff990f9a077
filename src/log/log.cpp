#include "log/log.hpp"

#include <atomic>
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

// JSON string content: the escapes every JSON parser understands.
void append_json_string(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
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
  if (f == format::text)
    return fmt::format("{}:{}:{}:{}", local_time(when, "%Y-%m-%d %H:%M:%S%z"), level_name(r.severity),
                       r.logger, r.message);
  std::string line = fmt::format(R"({{"asctime": "{}", "levelname": "{}", "name": ")",
                                 local_time(when, "%Y-%m-%dT%H:%M:%S%z"), level_name(r.severity));
  append_json_string(line, r.logger);
  line += R"(", "message": ")";
  append_json_string(line, r.message);
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

void emit(level l, std::string_view logger, std::string_view message) noexcept {
  try {
    dest().write(record{l, logger, message});
  } catch (...) {
    // Nowhere left to report it.
  }
}

}  // namespace swpt::log

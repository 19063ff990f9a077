#pragma once
// Logging: one line per record, to a sink the program chooses (stdout by
// default, a capturing sink in tests). Records carry a logger name, as the
// original's do ("swpt_stomp.server"), because operators' log pipelines
// filter on it. Logging never throws.

#include <fmt/format.h>

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::log {

enum class level { debug = 10, info = 20, warning = 30, error = 40 };

// "debug", "info", "warning", "error" (case-insensitive); nullopt otherwise.
std::optional<level> parse_level(std::string_view name) noexcept;
std::string_view level_name(level l) noexcept;  // "DEBUG", "INFO", ...

enum class format { text, json };
std::optional<format> parse_format(std::string_view name) noexcept;

struct record {
  level severity;
  std::string_view logger;
  std::string_view message;
};

// Where records go. Called from any thread; must be thread-safe.
using sink = std::function<void(const record&)>;

// The line as printed for `f` (no trailing newline), with the given local
// time: text `2023-06-12 10:00:00+0000:INFO:swpt_stomp.server:message`,
// json `{"asctime": "2023-06-12T10:00:00+0000", "levelname": "INFO", ...}`.
std::string format_record(format f, const record& r, std::time_t when);

// A sink that writes formatted lines to stdout, one write per line.
sink stdout_sink(format f);

// The process-wide destination and threshold. Set once at start-up (before
// other threads run) by main or a test; records below the threshold are
// dropped before formatting.
void configure(sink s, level threshold);
level threshold() noexcept;
void emit(level l, std::string_view logger, std::string_view message) noexcept;

class logger {
 public:
  explicit logger(std::string name) : name_{std::move(name)} {}

  const std::string& name() const noexcept { return name_; }

  template <class... Args>
  void log(level l, fmt::format_string<Args...> f, Args&&... args) const noexcept {
    if (l < threshold()) return;
    try {
      emit(l, name_, fmt::format(f, std::forward<Args>(args)...));
    } catch (...) {
      emit(level::error, name_, "(a log message could not be formatted)");
    }
  }
  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const noexcept {
    log(level::debug, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const noexcept {
    log(level::info, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warning(fmt::format_string<Args...> f, Args&&... args) const noexcept {
    log(level::warning, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const noexcept {
    log(level::error, f, std::forward<Args>(args)...);
  }

 private:
  std::string name_;
};

}  // namespace swpt::log

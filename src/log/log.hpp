#pragma once
// Logging: one line per record, to a sink the program chooses (stdout by
// default, a capturing sink in tests). Records carry a logger name, as the
// original's do ("swpt_stomp.server"), because operators' log pipelines
// filter on it, and the context fields of their logger (the peer, the
// queue). Logging never throws.
//
// A line is always one line: text lines escape control characters, JSON
// lines are JSON (invalid UTF-8 becomes U+FFFD), whatever a peer put in the
// message. Peer-supplied text is also bounded where it is logged, with
// untrusted() (untrusted.hpp).

#include <fmt/format.h>

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::log {

enum class level { debug = 10, info = 20, warning = 30, error = 40 };

// "debug", "info", "warning", "error" (case-insensitive); nullopt otherwise.
std::optional<level> parse_level(std::string_view name) noexcept;
std::string_view level_name(level l) noexcept;  // "DEBUG", "INFO", ...

enum class format { text, json };
std::optional<format> parse_format(std::string_view name) noexcept;

// A context field of a logger: which peer, which queue.
struct field {
  std::string key;
  std::string value;
};

struct record {
  level severity;
  std::string_view logger;
  std::string_view message;
  std::span<const field> fields{};  // in the order they were added
};

// Where records go. Called from any thread; must be thread-safe.
using sink = std::function<void(const record&)>;

// The line as printed for `f` (no trailing newline), with the given local
// time: text `2023-06-12 10:00:00+0000:INFO:swpt_stomp.server:message`,
// json `{"asctime": "2023-06-12T10:00:00+0000", "levelname": "INFO", ...}`.
// Context fields follow: in text as ` [peer=1234abcd queue=aa.1234abcd]`
// at the end of the line (in values, a space, `]` and `\` are escaped as
// \x20, \x5d and \\), in JSON as keys after the four standard ones
// (`..., "message": "...", "peer": "1234abcd", "queue": "aa.1234abcd"}`).
// In text lines control characters, C1 controls and `\` are escaped
// (`\n`, `\r`, `\t`, `\e`, `\xNN`, `\u0085`, `\\`) and invalid UTF-8
// bytes are shown as `\xNN`: a peer's text cannot start a line of its own
// or move a terminal's cursor.
std::string format_record(format f, const record& r, std::time_t when);

// A sink that writes formatted lines to stdout, one write per line.
sink stdout_sink(format f);

// The process-wide destination and threshold. Set once at start-up (before
// other threads run) by main or a test; records below the threshold are
// dropped before formatting.
void configure(sink s, level threshold);
level threshold() noexcept;
// A new threshold while threads run (the daemon's reload); the sink stays.
void set_threshold(level t) noexcept;
void emit(level l, std::string_view logger, std::string_view message,
          std::span<const field> fields = {}) noexcept;

// Cheap to copy; copies are independent.
class logger {
 public:
  explicit logger(std::string name) : name_{std::move(name)} {}

  const std::string& name() const noexcept { return name_; }
  std::span<const field> fields() const noexcept { return fields_; }

  // A copy whose records also carry `key` = `value` (replacing a field of
  // that key): `logger.with("peer", node_id)`.
  logger with(std::string_view key, std::string_view value) const;

  template <class... Args>
  void log(level l, fmt::format_string<Args...> f, Args&&... args) const noexcept {
    if (l < threshold()) return;
    try {
      emit(l, name_, fmt::format(f, std::forward<Args>(args)...), fields_);
    } catch (...) {
      emit(level::error, name_, "(a log message could not be formatted)", fields_);
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
  std::vector<field> fields_;
};

}  // namespace swpt::log

#pragma once
// How the values of the upstream environment variables are read. The four
// upstream commands (src/app/environment.cpp, src/app/options.cpp) and the
// daemon's configuration read the same variables, so the rules live here
// once: unset or blank keeps the default, blanks around a value are
// ignored, numbers are decimal, and a bad value names its variable.

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swpt::daemon {

// Returns the variable's value, or null when it is not set (std::getenv).
using environment_lookup = std::function<const char*(const char*)>;

// What() is `<VARIABLE>: invalid value "<value>": expected <what>`.
class variable_error : public std::invalid_argument {
 public:
  variable_error(std::string variable, std::string_view value, std::string_view expected);
  const std::string& variable() const noexcept { return variable_; }

 private:
  std::string variable_;
};

// About 31 years: longer than anyone means, and far from where a duration
// counted in nanoseconds overflows (292 years).
inline constexpr double max_seconds = 1e9;

// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text) noexcept;

// The whole of `text` as a decimal number (a leading '+' allowed); false
// for anything else, and for an integer out of T's range.
template <class T>
bool parse_decimal(std::string_view text, T& value) noexcept {
  if (text.starts_with('+')) text.remove_prefix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

// A number of seconds as a duration, rounded up so that a tiny positive
// value never becomes zero; nullopt unless finite, at most max_seconds, and
// above 0 (or 0 too where `zero_allowed`).
template <class Duration>
std::optional<Duration> to_duration(double seconds, bool zero_allowed) noexcept {
  const bool in_range =
      std::isfinite(seconds) && seconds <= max_seconds && (zero_allowed ? seconds >= 0 : seconds > 0);
  if (!in_range) return std::nullopt;
  return std::chrono::ceil<Duration>(std::chrono::duration<double>{seconds});
}

// A buffer size of an option or variable: a value below 1 counts as 1, as
// with the original.
inline std::size_t at_least_one(long long value) noexcept {
  return value < 1 ? std::size_t{1} : static_cast<std::size_t>(value);
}

// Reads variables through `getenv`; each method leaves `target` alone when
// the variable is unset or blank, and throws variable_error for a bad value.
class variable_reader {
 public:
  explicit variable_reader(environment_lookup getenv) : getenv_{std::move(getenv)} {}

  // The trimmed value; nullopt when unset or blank.
  std::optional<std::string_view> value_of(const char* name) const;

  // An integer in [min, max]. Returns whether the variable was set.
  template <class T>
  bool integer(const char* name, T& target, T min, T max) const {
    const auto text = value_of(name);
    if (!text) return false;
    T value{};
    if (!parse_decimal(*text, value) || value < min || value > max)
      throw variable_error{name, *text, "an integer from " + std::to_string(min) + " to " + std::to_string(max)};
    target = value;
    return true;
  }

  // A number of seconds, possibly fractional (see to_duration). Returns
  // whether the variable was set.
  template <class Duration>
  bool seconds(const char* name, Duration& target, bool zero_allowed) const {
    const auto text = value_of(name);
    if (!text) return false;
    double value = 0;
    const auto d = parse_decimal(*text, value) ? to_duration<Duration>(value, zero_allowed) : std::nullopt;
    if (!d) throw variable_error{name, *text, zero_allowed ? "a number of seconds, 0 or more" : "a number of seconds above 0"};
    target = *d;
    return true;
  }

  // A buffer size: any integer, one below 1 counting as 1 (at_least_one).
  bool buffer(const char* name, std::size_t& target) const;

 private:
  environment_lookup getenv_;
};

// The APP_* tunables of the upstream commands (docs/rabbitmq-topology.md
// §4), each read with its own range; a member is set when its variable is.
struct tunable_values {
  std::optional<std::chrono::nanoseconds> ssl_handshake_timeout;  // APP_SSL_HANDSHAKE_TIMEOUT, above 0
  std::optional<std::size_t> max_cached_peers;                    // APP_MAX_CACHED_PEERS, 0 or more
  std::optional<std::chrono::nanoseconds> peers_cache_lifetime;   // APP_PEERS_CACHE_SECONDS, 0 or more
  std::optional<std::chrono::nanoseconds> peers_check_period;     // APP_PEERS_CHECK_SECONDS, above 0
  std::optional<std::size_t> file_read_threads;                   // APP_FILE_READ_THREADS, 1 to max_file_read_threads
  std::optional<std::chrono::nanoseconds> rmq_connection_timeout;    // APP_RMQ_CONNECTION_TIMEOUT_SECONDS, above 0
  std::optional<std::chrono::nanoseconds> rmq_confirmation_timeout;  // APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS, above 0
  std::optional<int> stomp_server_backlog;                        // APP_STOMP_SERVER_BACKLOG, 0 or more
  std::optional<std::size_t> max_connections_per_peer;            // APP_MAX_CONNECTIONS_PER_PEER, 1 or more
};

// A typo such as 50000 should stop the start, not exhaust the process's
// threads one by one.
inline constexpr std::size_t max_file_read_threads = 1024;

// Reads the APP_* tunables in the order above; throws variable_error for
// the first bad value. APP_ASSOCIATED_LOGGERS is not read: every logger of
// this program logs at the one level.
tunable_values read_tunable_values(const environment_lookup& getenv);

// `target = *value` when `value` is set; a duration is rounded up to the
// target's unit (a tiny positive value never becomes zero).
template <class T, class U>
bool assign_if_set(T& target, const std::optional<U>& value) {
  if (!value) return false;
  if constexpr (requires { std::chrono::ceil<T>(*value); })
    target = std::chrono::ceil<T>(*value);
  else
    target = static_cast<T>(*value);
  return true;
}

}  // namespace swpt::daemon

#include "app/environment.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>

namespace swpt::app {
namespace {

// About 31 years: longer than anyone means, and far from where a duration
// counted in nanoseconds overflows (292 years).
constexpr double max_seconds = 1e9;
// A typo such as 50000 should stop the start, not exhaust the process's
// threads one by one.
constexpr std::size_t max_file_read_threads = 1024;

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view blanks = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

class reader {
 public:
  explicit reader(const environment_lookup& getenv) : getenv_{getenv} {}

  // An integer in [min, max].
  template <class T>
  void integer(const char* name, T& target, T min, T max) const {
    const auto text = value_of(name);
    if (!text) return;
    T value{};
    if (!parse(*text, value) || value < min || value > max)
      bad(name, *text, fmt::format("an integer from {} to {}", min, max));
    target = value;
  }

  // A number of seconds, possibly fractional, at most max_seconds; zero
  // only where `zero_allowed`.
  template <class Duration>
  void seconds(const char* name, Duration& target, bool zero_allowed) const {
    const auto text = value_of(name);
    if (!text) return;
    double value = 0;
    const bool in_range = parse(*text, value) && std::isfinite(value) && value <= max_seconds &&
                          (zero_allowed ? value >= 0 : value > 0);
    if (!in_range) bad(name, *text, zero_allowed ? "a number of seconds, 0 or more" : "a number of seconds above 0");
    // Rounded up, so that a tiny positive value never becomes zero.
    target = std::chrono::ceil<Duration>(std::chrono::duration<double>{value});
  }

 private:
  std::optional<std::string_view> value_of(const char* name) const {
    const char* value = getenv_(name);
    if (value == nullptr) return std::nullopt;
    const auto text = trim(value);
    if (text.empty()) return std::nullopt;
    return text;
  }

  template <class T>
  static bool parse(std::string_view text, T& value) noexcept {
    if (text.starts_with('+')) text.remove_prefix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
  }

  [[noreturn]] static void bad(const char* name, std::string_view value, std::string_view expected) {
    throw environment_error{fmt::format("{}: invalid value \"{}\": expected {}", name, value, expected)};
  }

  const environment_lookup& getenv_;
};

}  // namespace

std::size_t default_file_read_threads() noexcept {
  return 5 * std::max(1U, std::thread::hardware_concurrency());
}

tunables read_tunables(const environment_lookup& getenv) {
  tunables t;
  t.file_read_threads = default_file_read_threads();
  const reader env{getenv};
  constexpr auto int_max = static_cast<std::size_t>(std::numeric_limits<int>::max());
  env.seconds("APP_SSL_HANDSHAKE_TIMEOUT", t.ssl_handshake_timeout, false);
  env.integer("APP_MAX_CACHED_PEERS", t.max_cached_peers, std::size_t{0}, int_max);
  env.seconds("APP_PEERS_CACHE_SECONDS", t.peers_cache_lifetime, true);
  env.seconds("APP_PEERS_CHECK_SECONDS", t.peers_check_period, false);
  env.integer("APP_FILE_READ_THREADS", t.file_read_threads, std::size_t{1}, max_file_read_threads);
  env.seconds("APP_RMQ_CONNECTION_TIMEOUT_SECONDS", t.rmq_connection_timeout, false);
  env.seconds("APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS", t.rmq_confirmation_timeout, false);
  env.integer("APP_STOMP_SERVER_BACKLOG", t.stomp_server_backlog, 0, std::numeric_limits<int>::max());
  env.integer("APP_MAX_CONNECTIONS_PER_PEER", t.max_connections_per_peer, std::size_t{1}, int_max);
  return t;
}

}  // namespace swpt::app

#include "daemon/variables.hpp"

#include <fmt/format.h>

#include <limits>

namespace swpt::daemon {

variable_error::variable_error(std::string variable, std::string_view value, std::string_view expected)
    : std::invalid_argument{fmt::format("{}: invalid value \"{}\": expected {}", variable, value, expected)},
      variable_{std::move(variable)} {}

std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view blanks = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

std::optional<std::string_view> variable_reader::value_of(const char* name) const {
  const char* value = getenv_(name);
  if (value == nullptr) return std::nullopt;
  const auto text = trim(value);
  if (text.empty()) return std::nullopt;
  return text;
}

bool variable_reader::buffer(const char* name, std::size_t& target) const {
  const auto text = value_of(name);
  if (!text) return false;
  long long value = 0;
  if (!parse_decimal(*text, value)) throw variable_error{name, *text, "an integer (one below 1 counts as 1)"};
  target = at_least_one(value);
  return true;
}

namespace {

// Reads `name` into a fresh value of T and returns it only when set.
template <class T, class Read>
std::optional<T> optional_value(Read read) {
  T value{};
  return read(value) ? std::optional<T>{value} : std::nullopt;
}

}  // namespace

tunable_values read_tunable_values(const environment_lookup& getenv) {
  using std::chrono::nanoseconds;
  const variable_reader env{getenv};
  constexpr auto int_max = static_cast<std::size_t>(std::numeric_limits<int>::max());
  const auto seconds = [&env](const char* name, bool zero_allowed) {
    return optional_value<nanoseconds>([&](nanoseconds& v) { return env.seconds(name, v, zero_allowed); });
  };
  const auto count = [&env](const char* name, std::size_t min, std::size_t max) {
    return optional_value<std::size_t>([&](std::size_t& v) { return env.integer(name, v, min, max); });
  };
  tunable_values t;
  // Designated initializers would not fix the order of the reads: one
  // statement each keeps "the first bad value" the first in this list.
  t.ssl_handshake_timeout = seconds("APP_SSL_HANDSHAKE_TIMEOUT", false);
  t.max_cached_peers = count("APP_MAX_CACHED_PEERS", 0, int_max);
  t.peers_cache_lifetime = seconds("APP_PEERS_CACHE_SECONDS", true);
  t.peers_check_period = seconds("APP_PEERS_CHECK_SECONDS", false);
  t.file_read_threads = count("APP_FILE_READ_THREADS", 1, max_file_read_threads);
  t.rmq_connection_timeout = seconds("APP_RMQ_CONNECTION_TIMEOUT_SECONDS", false);
  t.rmq_confirmation_timeout = seconds("APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS", false);
  t.stomp_server_backlog = optional_value<int>(
      [&](int& v) { return env.integer("APP_STOMP_SERVER_BACKLOG", v, 0, std::numeric_limits<int>::max()); });
  t.max_connections_per_peer = count("APP_MAX_CONNECTIONS_PER_PEER", 1, int_max);
  return t;
}

}  // namespace swpt::daemon

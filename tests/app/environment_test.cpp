#include "app/environment.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace swpt::app {
namespace {

using namespace std::chrono_literals;
using variables = std::map<std::string, std::string>;

tunables read(const variables& vars) {
  return read_tunables([&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

void check_rejected(const std::string& name, const std::string& value) {
  INFO(name << "=" << value);
  try {
    (void)read({{name, value}});
    FAIL("accepted");
  } catch (const environment_error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(name + ": "));
    CHECK_THAT(e.what(), Catch::Contains('"' + value + '"'));
  }
}

TEST_CASE("unset variables keep the documented defaults", "[environment]") {
  const auto t = read({});
  CHECK(t.ssl_handshake_timeout == 5s);
  CHECK(t.max_cached_peers == 5000);
  CHECK(t.peers_cache_lifetime == 600s);
  CHECK(t.peers_check_period == 3600s);
  CHECK(t.file_read_threads == default_file_read_threads());
  CHECK(t.file_read_threads % 5 == 0);
  CHECK(t.rmq_connection_timeout == 10s);
  CHECK(t.rmq_confirmation_timeout == 20s);
  CHECK(t.stomp_server_backlog == 100);
  CHECK(t.max_connections_per_peer == 10);
}

TEST_CASE("every variable is read", "[environment]") {
  const auto t = read({
      {"APP_SSL_HANDSHAKE_TIMEOUT", "2.5"},
      {"APP_MAX_CACHED_PEERS", "7"},
      {"APP_PEERS_CACHE_SECONDS", "0.25"},
      {"APP_PEERS_CHECK_SECONDS", "60"},
      {"APP_FILE_READ_THREADS", "3"},
      {"APP_RMQ_CONNECTION_TIMEOUT_SECONDS", "1e1"},
      {"APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS", "0.5"},
      {"APP_STOMP_SERVER_BACKLOG", "17"},
      {"APP_MAX_CONNECTIONS_PER_PEER", "2"},
  });
  CHECK(t.ssl_handshake_timeout == 2500ms);
  CHECK(t.max_cached_peers == 7);
  CHECK(t.peers_cache_lifetime == 250ms);
  CHECK(t.peers_check_period == 60s);
  CHECK(t.file_read_threads == 3);
  CHECK(t.rmq_connection_timeout == 10s);
  CHECK(t.rmq_confirmation_timeout == 500ms);
  CHECK(t.stomp_server_backlog == 17);
  CHECK(t.max_connections_per_peer == 2);
}

TEST_CASE("blanks around a value are ignored, an empty value is unset", "[environment]") {
  const auto t = read({{"APP_MAX_CACHED_PEERS", " 12\n"}, {"APP_PEERS_CHECK_SECONDS", "  "}, {"APP_STOMP_SERVER_BACKLOG", "+5"}});
  CHECK(t.max_cached_peers == 12);
  CHECK(t.peers_check_period == 3600s);
  CHECK(t.stomp_server_backlog == 5);
}

TEST_CASE("tiny durations round up, zero only where it means something", "[environment]") {
  CHECK(read({{"APP_RMQ_CONNECTION_TIMEOUT_SECONDS", "0.0001"}}).rmq_connection_timeout == 1ms);
  CHECK(read({{"APP_SSL_HANDSHAKE_TIMEOUT", "1e-6"}}).ssl_handshake_timeout == 1us);
  // No caching at all is a valid choice; so is an empty cache.
  CHECK(read({{"APP_PEERS_CACHE_SECONDS", "0"}}).peers_cache_lifetime == 0s);
  CHECK(read({{"APP_MAX_CACHED_PEERS", "0"}}).max_cached_peers == 0);
  CHECK(read({{"APP_STOMP_SERVER_BACKLOG", "0"}}).stomp_server_backlog == 0);
}

TEST_CASE("bad values name the variable", "[environment]") {
  for (const auto* name : {"APP_SSL_HANDSHAKE_TIMEOUT", "APP_PEERS_CHECK_SECONDS", "APP_RMQ_CONNECTION_TIMEOUT_SECONDS",
                           "APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS"}) {
    for (const auto* value : {"abc", "5s", "-1", "0", "nan", "inf", "1e10", "0x10", "1,5"}) check_rejected(name, value);
  }
  for (const auto* value : {"-0.5", "forever"}) check_rejected("APP_PEERS_CACHE_SECONDS", value);
  for (const auto* name : {"APP_MAX_CACHED_PEERS", "APP_STOMP_SERVER_BACKLOG", "APP_MAX_CONNECTIONS_PER_PEER",
                           "APP_FILE_READ_THREADS"}) {
    for (const auto* value : {"x", "1.5", "-1", "12abc", "99999999999999999999"}) check_rejected(name, value);
  }
  check_rejected("APP_FILE_READ_THREADS", "0");
  check_rejected("APP_FILE_READ_THREADS", "5000");
  check_rejected("APP_MAX_CONNECTIONS_PER_PEER", "0");
}

TEST_CASE("APP_ASSOCIATED_LOGGERS is accepted and ignored", "[environment]") {
  const auto t = read({{"APP_ASSOCIATED_LOGGERS", "aiohttp asyncio ???"}});
  CHECK(t.max_cached_peers == 5000);
}

}  // namespace
}  // namespace swpt::app

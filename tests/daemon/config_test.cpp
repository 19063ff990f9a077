// The daemon's configuration: defaults, the file, the environment and the
// options in that order of precedence, every kind of error with its key and
// line, and what check-config prints.

#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "app/environment.hpp"
#include "daemon/config.hpp"
#include "session/node_directory.hpp"
#include "session/settings.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace swpt::daemon {
namespace {

using variables = std::map<std::string, std::string>;
using settings = std::vector<std::pair<std::string, std::string>>;

// A configuration file in a fresh directory.
class yaml_file {
 public:
  explicit yaml_file(const std::string& text) : path_{dir_.path() / "swpt-stomp.yaml"} {
    std::ofstream{path_} << text;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  fixtures::temp_dir dir_{"swpt-config"};
  std::filesystem::path path_;
};

loaded_config load(std::optional<std::filesystem::path> file, const variables& vars = {}, const settings& opts = {}) {
  return load_config({std::move(file), [&vars](const char* name) -> const char* {
                        const auto it = vars.find(name);
                        return it == vars.end() ? nullptr : it->second.c_str();
                      },
                      opts});
}

loaded_config load_yaml(const std::string& text, const variables& vars = {}, const settings& opts = {}) {
  const yaml_file f{text};
  return load(f.path(), vars, opts);
}

// The error of loading `text`: its message must name `key` (and the line,
// when given).
config_error error_of(const std::function<loaded_config()>& load_it) {
  try {
    (void)load_it();
  } catch (const config_error& e) {
    return e;
  }
  FAIL("accepted");
  throw std::logic_error{"unreachable"};
}

void check_file_error(const std::string& text, const std::string& key, std::size_t line, const std::string& why) {
  INFO(text);
  const yaml_file f{text};
  const auto e = error_of([&] { return load(f.path()); });
  CHECK(e.key() == key);
  CHECK(e.line() == line);
  CHECK(std::string{e.what()} == f.path().string() + ":" + std::to_string(line) + ": " + key + ": " + why);
}

value_source source_of(const loaded_config& c, const std::string& key) {
  const auto it = c.sources.find(key);
  return it == c.sources.end() ? value_source::default_value : it->second;
}

TEST_CASE("without a file, variables or options: the defaults", "[config]") {
  const auto c = load(std::nullopt);
  CHECK(c.values == config{});
  CHECK(c.sources.empty());
  CHECK_FALSE(c.file);
  // An empty file, or one of comments only, is the defaults too.
  CHECK(load_yaml("").values == config{});
  CHECK(load_yaml("# nothing\n").values == config{});
}

TEST_CASE("the defaults are the units' own", "[config]") {
  using std::chrono::duration_cast;
  const config c;
  const session::server_settings server;
  const session::client_settings client;
  const session::node_directory::settings directory;
  CHECK(c.server.listeners.at(0).port == server.port);
  CHECK(c.server.backlog == server.backlog);
  CHECK(c.server.buffer == server.buffer);
  CHECK(c.server.max_connections_per_peer == server.max_connections_per_peer);
  CHECK(c.server.max_connections == server.max_connections);
  CHECK(c.server.max_pending_handshakes == server.max_pending_handshakes);
  CHECK(c.server.max_pending_handshakes_per_address == server.max_pending_handshakes_per_address);
  CHECK(c.server.peers_check_interval == duration_cast<duration>(server.peer_check_period));
  CHECK(c.server.handshake_timeout == duration_cast<duration>(server.times.handshake_timeout));
  CHECK(c.server.max_cached_peers == directory.max_cached_peers);
  CHECK(c.server.peers_cache_lifetime == duration_cast<duration>(directory.cache_lifetime));
  CHECK(c.clients.buffer == client.buffer);
  CHECK(c.timeouts.connect == duration_cast<duration>(server.times.connect_timeout));
  CHECK(c.timeouts.close == duration_cast<duration>(server.times.close_timeout));
}

TEST_CASE("the broker's defaults are the AMQP units' own and the upstream commands'", "[config]") {
  using std::chrono::duration_cast;
  const config c;
  const amqp::connection_settings connection;
  const amqp::publisher_settings publisher;
  const amqp::pool_settings pool;
  const amqp::consumer_settings consumer;
  CHECK(c.broker.connection_timeout == duration_cast<duration>(connection.timeout));
  CHECK(c.broker.heartbeat == duration_cast<duration>(connection.heartbeat));
  CHECK(c.broker.confirmation_timeout == duration_cast<duration>(publisher.confirmation_timeout));
  CHECK(c.broker.consumer_connections == pool.connections);
  CHECK(c.broker.channels_per_connection == pool.worker.max_channels);
  CHECK(c.clients.standby_retry == duration_cast<duration>(consumer.standby_retry));
  CHECK(c.clients.buffer == consumer.prefetch);
  // The upstream commands read the same variables with the same defaults.
  const app::tunables upstream;
  CHECK(upstream.rmq_connection_timeout == connection.timeout);
  CHECK(upstream.rmq_confirmation_timeout == publisher.confirmation_timeout);
}

TEST_CASE("the example file lists every key with its default", "[config]") {
  const char* path = std::getenv("SWPT_EXAMPLE_CONFIG");
  REQUIRE(path != nullptr);
  const auto c = load(std::filesystem::path{path});
  CHECK(c.values == config{});
  // Every key came from the file: none was left to its default.
  const auto text = describe(c);
  CHECK_THAT(text, !Catch::Contains("# default"));
  CHECK_THAT(text, Catch::Contains("  buffer: 100  # file"));
}

TEST_CASE("file values", "[config]") {
  const auto c = load_yaml(R"(
node_database: file:///srv/nodedata/
activation: manage
rescan_interval: 500ms
broker:
  url: amqps://u:p@rabbit:5671/node
  heartbeat: 10
  consumer_connections: 2
server:
  enabled: false
  certificate: /etc/a.crt
  key: /etc/a.key
  buffer: 7
  backlog: 0
  max_cached_peers: 0
  peers_cache_lifetime: 0
  file_read_threads: 3
clients:
  buffer: 11
  queue_name: "aa.{peer}"
  backoff_initial: 0.25
  backoff_max: 2m
  exclusive: false
drainers:
  stop_when_empty: true
timeouts:
  shutdown: 1.5s
logging:
  level: DEBUG
  format: json
http_listen: "[::1]:8080"
)");
  const auto& v = c.values;
  CHECK(v.node_database == "file:///srv/nodedata/");
  CHECK(v.activation == activation_mode::manage);
  CHECK(v.rescan_interval == 500ms);
  CHECK(v.broker.url == "amqps://u:p@rabbit:5671/node");
  CHECK(v.broker.heartbeat == 10s);
  CHECK(v.broker.consumer_connections == 2);
  CHECK_FALSE(v.server.enabled);
  CHECK(v.server.certificate == "/etc/a.crt");
  CHECK(v.server.key == "/etc/a.key");
  CHECK(v.server.buffer == 7);
  CHECK(v.server.backlog == 0);
  CHECK(v.server.max_cached_peers == 0);
  CHECK(v.server.peers_cache_lifetime == 0ms);
  CHECK(v.server.file_read_threads == 3);
  CHECK(v.clients.buffer == 11);
  CHECK(v.clients.queue_name == "aa.{peer}");
  CHECK(v.clients.backoff_initial == 250ms);
  CHECK(v.clients.backoff_max == 120s);
  CHECK_FALSE(v.clients.exclusive);
  CHECK(v.drainers.stop_when_empty);
  CHECK(v.timeouts.shutdown == 1500ms);
  CHECK(v.logging.level == log::level::debug);
  CHECK(v.logging.format == log::format::json);
  CHECK(v.http_listen == "[::1]:8080");
  CHECK(source_of(c, "server.buffer") == value_source::file);
  CHECK(source_of(c, "http_listen") == value_source::file);
  CHECK(source_of(c, "server.max_connections") == value_source::default_value);
  CHECK(c.sources.size() == 24);
}

TEST_CASE("durations: seconds or a number with a unit", "[config]") {
  const std::vector<std::pair<std::string, duration>> cases{
      {"2", 2s},        {"0.5", 500ms}, {"1e1", 10s},   {"500ms", 500ms}, {"5s", 5s},
      {"2m", 120s},     {"1h", 3600s},  {"1.5s", 1500ms}, {"\"3\"", 3s},  {"0.0001", 1ms},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    CHECK(load_yaml("rescan_interval: " + text).values.rescan_interval == expected);
  }
  CHECK(load_yaml("server:\n  peers_cache_lifetime: 0s").values.server.peers_cache_lifetime == 0ms);

  const std::string not_a_duration = "must be a duration: seconds (5, 0.5) or with a unit (500ms, 5s, 2m, 1h)";
  check_file_error("rescan_interval: 5x", "rescan_interval", 1, not_a_duration);
  check_file_error("rescan_interval: [5]", "rescan_interval", 1, not_a_duration);
  check_file_error("rescan_interval: 0", "rescan_interval", 1, "must be above 0");
  check_file_error("server:\n  peers_cache_lifetime: -1", "server.peers_cache_lifetime", 2, "must be 0 or more");
  check_file_error("broker:\n  heartbeat: 1d", "broker.heartbeat", 2, not_a_duration);
  check_file_error("broker:\n  heartbeat: 20h", "broker.heartbeat", 2, "must be at most 65535s");
}

TEST_CASE("the server's listeners", "[config]") {
  const auto c = load_yaml(R"(
server:
  listen:
    - port: 4443
    - address: 127.0.0.1
      port: 1234
    - {address: "::1", port: 1235}
)");
  CHECK(c.values.server.listeners ==
        std::vector<listener>{{"", 4443}, {"127.0.0.1", 1234}, {"::1", 1235}});
  CHECK(source_of(c, "server.listen") == value_source::file);

  check_file_error("server:\n  listen: []", "server.listen", 2,
                   "must list at least one {address, port} (server.enabled: false turns the server off)");
  check_file_error("server:\n  listen: 1234", "server.listen", 2, "must be a list of {address, port}");
  check_file_error("server:\n  listen:\n    - 1234", "server.listen[0]", 3, "must be {address, port}");
  check_file_error("server:\n  listen:\n    - port: 1\n    - port: 65536", "server.listen[1].port", 4,
                   "must be at most 65535");
  check_file_error("server:\n  listen:\n    - port: 1\n      host: x", "server.listen[0].host", 4, "unknown key");
  check_file_error("server:\n  listen:\n    - address: localhost", "server.listen[0].address", 3,
                   "must be an IP address, or empty for every interface");
  check_file_error("server:\n  listen:\n    - port: 1\n    - port: 1", "server.listen[1]", 4, "listed twice");
}

TEST_CASE("the environment overrides the file", "[config]") {
  const std::string file = "server:\n  buffer: 5\n  listen:\n    - address: 127.0.0.1\n      port: 4000\n";
  SECTION("a variable wins over its key") {
    const auto c = load_yaml(file, {{"SWPT_SERVER_BUFFER", "7"}, {"SWPT_SERVER_PORT", " 4001 "}});
    CHECK(c.values.server.buffer == 7);
    CHECK(c.values.server.listeners == std::vector<listener>{{"127.0.0.1", 4001}});
    CHECK(source_of(c, "server.buffer") == value_source::environment);
    CHECK(source_of(c, "server.listen") == value_source::environment);
  }
  SECTION("an empty or blank variable counts as unset") {
    const auto c = load_yaml(file, {{"SWPT_SERVER_BUFFER", ""}, {"PROTOCOL_BROKER_URL", "  "}});
    CHECK(c.values.server.buffer == 5);
    CHECK(source_of(c, "server.buffer") == value_source::file);
    CHECK(source_of(c, "broker.url") == value_source::default_value);
  }
  SECTION("as upstream, a buffer below 1 counts as 1") {
    const auto c = load(std::nullopt, {{"SWPT_SERVER_BUFFER", "0"}, {"SWPT_CLIENT_BUFFER", "-5"}});
    CHECK(c.values.server.buffer == 1);
    CHECK(c.values.clients.buffer == 1);
  }
}

TEST_CASE("every upstream variable sets its key", "[config]") {
  const auto c = load(std::nullopt, {
                                        {"SWPT_NODEDATA_URL", "file:///db"},
                                        {"PROTOCOL_BROKER_URL", "amqp://a:b@c:1/d"},
                                        {"SWPT_SERVER_PORT", "2"},
                                        {"SWPT_SERVER_CERT", "/c.crt"},
                                        {"SWPT_SERVER_KEY", "/k.key"},
                                        {"SWPT_SERVER_BUFFER", "3"},
                                        {"SWPT_CLIENT_BUFFER", "4"},
                                        {"APP_LOG_LEVEL", "warning"},
                                        {"APP_LOG_FORMAT", "json"},
                                        {"APP_SSL_HANDSHAKE_TIMEOUT", "2.5"},
                                        {"APP_MAX_CACHED_PEERS", "6"},
                                        {"APP_PEERS_CACHE_SECONDS", "0"},
                                        {"APP_PEERS_CHECK_SECONDS", "60"},
                                        {"APP_FILE_READ_THREADS", "7"},
                                        {"APP_RMQ_CONNECTION_TIMEOUT_SECONDS", "1e1"},
                                        {"APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS", "0.0001"},
                                        {"APP_STOMP_SERVER_BACKLOG", "8"},
                                        {"APP_MAX_CONNECTIONS_PER_PEER", "9"},
                                    });
  const auto& v = c.values;
  CHECK(v.node_database == "file:///db");
  CHECK(v.broker.url == "amqp://a:b@c:1/d");
  CHECK(v.server.listeners.at(0).port == 2);
  CHECK(v.server.certificate == "/c.crt");
  CHECK(v.server.key == "/k.key");
  CHECK(v.server.buffer == 3);
  CHECK(v.clients.buffer == 4);
  CHECK(v.logging.level == log::level::warning);
  CHECK(v.logging.format == log::format::json);
  CHECK(v.server.handshake_timeout == 2500ms);
  CHECK(v.server.max_cached_peers == 6);
  CHECK(v.server.peers_cache_lifetime == 0ms);
  CHECK(v.server.peers_check_interval == 60s);
  CHECK(v.server.file_read_threads == 7);
  CHECK(v.broker.connection_timeout == 10s);
  CHECK(v.broker.confirmation_timeout == 1ms);  // rounded up, never zero
  CHECK(v.server.backlog == 8);
  CHECK(v.server.max_connections_per_peer == 9);
  CHECK(c.sources.size() == 18);
  for (const auto& [key, source] : c.sources) CHECK(source == value_source::environment);
}

TEST_CASE("a bad variable is named with its value", "[config]") {
  const std::vector<std::pair<variables, std::string>> cases{
      {{{"APP_FILE_READ_THREADS", "0"}}, "APP_FILE_READ_THREADS: invalid value \"0\": expected an integer from 1 to 1024"},
      {{{"APP_SSL_HANDSHAKE_TIMEOUT", "0"}}, "APP_SSL_HANDSHAKE_TIMEOUT: invalid value \"0\": expected a number of seconds above 0"},
      {{{"SWPT_SERVER_PORT", "70000"}}, "SWPT_SERVER_PORT: invalid value \"70000\": expected an integer from 1 to 65535"},
      {{{"SWPT_SERVER_BUFFER", "many"}}, "SWPT_SERVER_BUFFER: invalid value \"many\": expected an integer (one below 1 counts as 1)"},
      {{{"APP_LOG_LEVEL", "loud"}}, "APP_LOG_LEVEL: invalid value \"loud\": must be one of error, warning, info, debug"},
      {{{"SWPT_NODEDATA_URL", "/db"}}, "SWPT_NODEDATA_URL: invalid value \"/db\": must be file:///<absolute path>"},
      {{{"SWPT_SERVER_CERT", "   "}, {"APP_MAX_CACHED_PEERS", "-1"}}, "APP_MAX_CACHED_PEERS: invalid value \"-1\""},
  };
  for (const auto& [vars, message] : cases) {
    INFO(message);
    const auto e = error_of([&] { return load(std::nullopt, vars); });
    CHECK_THAT(e.what(), Catch::StartsWith(message));
    CHECK(e.key() == message.substr(0, message.find(':')));
    CHECK(e.line() == 0);
  }
  SECTION("the broker URL is not repeated: it holds the password") {
    const auto e = error_of([] { return load(std::nullopt, {{"PROTOCOL_BROKER_URL", "http://u:secret@h"}}); });
    CHECK_THAT(e.what(), Catch::StartsWith("PROTOCOL_BROKER_URL: "));
    CHECK_THAT(e.what(), !Catch::Contains("secret"));
  }
}

TEST_CASE("options override the environment and the file", "[config]") {
  const auto c = load_yaml("server:\n  buffer: 5\n", {{"SWPT_SERVER_BUFFER", "7"}, {"SWPT_SERVER_PORT", "3000"}},
                           {{"server.buffer", "9"},
                            {"server.listen[0].port", "3001"},
                            {"server.listen[1].address", "::"},
                            {"logging.level", "error"},
                            {"server.buffer", "10"}});
  CHECK(c.values.server.buffer == 10);  // the last one given
  CHECK(c.values.server.listeners == std::vector<listener>{{"", 3001}, {"::", 1234}});
  CHECK(c.values.logging.level == log::level::error);
  CHECK(source_of(c, "server.buffer") == value_source::option);
  CHECK(source_of(c, "server.listen") == value_source::option);

  SECTION("an option's value is YAML: a list for the listeners") {
    const auto l = load(std::nullopt, {}, {{"server.listen", "[{port: 1}, {address: 10.0.0.1, port: 2}]"}});
    CHECK(l.values.server.listeners == std::vector<listener>{{"", 1}, {"10.0.0.1", 2}});
  }
  SECTION("bad options name their key") {
    const std::vector<std::pair<settings, std::string>> cases{
        {{{"server.bufer", "1"}}, "server.bufer (command line): unknown key"},
        {{{"server", "1"}}, "server (command line): is a section: name one of its keys"},
        {{{"server.buffer", "0"}}, "server.buffer (command line): must be at least 1"},
        {{{"server.listen[0].port", "x"}}, "server.listen[0].port (command line): must be an integer"},
        {{{"server.listen[2].port", "1"}}, "server.listen[2].port (command line): no such listener: server.listen has 1"},
        {{{"clients.exclusive", "[1"}}, "clients.exclusive (command line): not a YAML value: "},
    };
    for (const auto& [opts, message] : cases) {
      INFO(message);
      const auto e = error_of([&] { return load(std::nullopt, {}, opts); });
      CHECK_THAT(e.what(), Catch::StartsWith(message));
      CHECK(e.key() == opts.front().first);
    }
  }
}

TEST_CASE("file errors name the key and the line", "[config]") {
  SECTION("not YAML: the parser's line") {
    const yaml_file f{"server:\n  buffer: 3\n  listen: [1\nlogging: {}\n"};
    const auto e = error_of([&] { return load(f.path()); });
    CHECK(e.line() == 4);
    CHECK_THAT(e.what(), Catch::StartsWith(f.path().string() + ":4: not valid YAML: "));
  }
  SECTION("no such file") {
    const auto e = error_of([] { return load(std::filesystem::path{"/nonexistent/swpt-stomp.yaml"}); });
    CHECK(std::string{e.what()} == "/nonexistent/swpt-stomp.yaml: cannot read: No such file or directory");
  }
  SECTION("structure") {
    check_file_error("\n\nserver:\n  bufer: 3\n", "server.bufer", 4, "unknown key");
    check_file_error("colour: blue", "colour", 1, "unknown key");
    check_file_error("server: 3", "server", 1, "must be a mapping of keys");
    check_file_error("server:\n  buffer: 1\n  buffer: 2\n", "server.buffer", 3, "given twice");
    const yaml_file list{"- 1\n- 2\n"};
    CHECK_THAT(error_of([&] { return load(list.path()); }).what(), Catch::EndsWith(":1: must be a mapping of keys"));
  }
  SECTION("wrong types") {
    check_file_error("server:\n  buffer: \"100\"", "server.buffer", 2, "must be an integer");
    check_file_error("server:\n  buffer: 1.5", "server.buffer", 2, "must be an integer");
    check_file_error("server:\n  enabled: yes", "server.enabled", 2, "must be true or false");
    check_file_error("server:\n  certificate: [a]", "server.certificate", 2, "must be a string");
    check_file_error("activation: sometimes", "activation", 1, "must be one of watch, manage");
    check_file_error("logging:\n  format: xml", "logging.format", 2, "must be one of text, json");
  }
  SECTION("out of range") {
    check_file_error("server:\n  buffer: 0", "server.buffer", 2, "must be at least 1");
    check_file_error("clients:\n  buffer: -3", "clients.buffer", 2, "must be at least 1");
    check_file_error("server:\n  file_read_threads: 5000", "server.file_read_threads", 2, "must be at most 1024");
    check_file_error("server:\n  certificate:", "server.certificate", 2, "must not be empty");
    check_file_error("clients:\n  backoff_initial: 2m", "clients.backoff_initial", 2,
                     "must not exceed clients.backoff_max (1m)");
    check_file_error("clients:\n  refused_backoff_max: 1s", "clients.refused_backoff_max", 2,
                     "must not be below clients.refused_backoff_initial (30s)");
  }
  SECTION("values with rules of their own") {
    check_file_error("clients:\n  queue_name: peer.{n}", "clients.queue_name", 2, "must contain {peer}");
    check_file_error("clients:\n  queue_name: \"p.{peer}.{m}\"", "clients.queue_name", 2,
                     "may hold only the placeholders {peer} and {n}");
    check_file_error("node_database: /var/lib/db", "node_database", 1, "must be file:///<absolute path>");
    check_file_error("node_database: file://host/db", "node_database", 1, "must be file:///<absolute path>");
    check_file_error("http_listen: 8080", "http_listen", 1, "must be \"host:port\" (port 1 to 65535), or empty for none");
    check_file_error("http_listen: \"::1:8080\"", "http_listen", 1,
                     "must be \"host:port\" (port 1 to 65535), or empty for none");
    const yaml_file f{"broker:\n  url: http://guest:secret@localhost\n"};
    const auto e = error_of([&] { return load(f.path()); });
    CHECK(e.key() == "broker.url");
    CHECK(e.line() == 2);
    CHECK_THAT(e.what(), !Catch::Contains("secret"));
  }
}

TEST_CASE("queue names from the template", "[config]") {
  CHECK(queue_names("peer.{peer}.{n}", "1234abcd", 3) ==
        std::vector<std::string>{"peer.1234abcd.0", "peer.1234abcd.1", "peer.1234abcd.2"});
  CHECK(queue_names("aa.{peer}", "1234abcd", 1) == std::vector<std::string>{"aa.1234abcd"});
  CHECK_THROWS_AS(queue_names("aa.{peer}", "1234abcd", 2), std::invalid_argument);
  CHECK(queue_names("{n}-{peer}-{peer}", "x", 1) == std::vector<std::string>{"0-x-x"});
  CHECK(queue_names("q.{peer}.{n}", "x", 0).empty());
}

TEST_CASE("mask_password hides only the password", "[config]") {
  CHECK(mask_password("amqp://user:secret@host:5672/vhost") == "amqp://user:***@host:5672/vhost");
  CHECK(mask_password("amqps://u:p@ss@host") == "amqps://u:***@host");
  CHECK(mask_password("amqp://user@host/") == "amqp://user@host/");
  CHECK(mask_password("amqp://host:5672/v@x") == "amqp://host:5672/v@x");
  CHECK(mask_password("not a url") == "not a url");
}

TEST_CASE("describe shows every key, its value and its source", "[config]") {
  const auto c = load_yaml("broker:\n  url: amqp://guest:hunter2@rabbit:5672/\nserver:\n  buffer: 7\n",
                           {{"SWPT_CLIENT_BUFFER", "9"}}, {{"logging.level", "debug"}});
  const auto text = describe(c);
  CHECK_THAT(text, Catch::Contains("  url: amqp://guest:***@rabbit:5672/  # file\n"));
  CHECK_THAT(text, !Catch::Contains("hunter2"));
  CHECK_THAT(text, Catch::Contains("server:\n  enabled: true  # default\n"));
  CHECK_THAT(text, Catch::Contains("  buffer: 7  # file\n"));
  CHECK_THAT(text, Catch::Contains("clients:\n  buffer: 9  # env SWPT_CLIENT_BUFFER\n"));
  CHECK_THAT(text, Catch::Contains("  level: debug  # option\n"));
  CHECK_THAT(text, Catch::Contains("  key: /secrets/swpt-server.key  # default\n"));  // a path, not a secret
  CHECK_THAT(text, Catch::Contains("  listen: [{address: \"\", port: 1234}]  # default\n"));
  CHECK_THAT(text, Catch::Contains("http_listen: \"\"  # default\n"));

  SECTION("what it prints reads back as the same configuration") {
    const auto first = load_yaml(R"(
broker:
  url: amqp://rabbit/
server:
  listen: [{address: "::1", port: 2}, {port: 3}]
  certificate: "123"
clients:
  queue_name: "{peer}"
  backoff_initial: 1500ms
  healthy_after: 2h
http_listen: 0.0.0.0:80
)");
    CHECK(load_yaml(describe(first)).values == first.values);
    // But for the default URL's password, masked.
    auto defaults = load_yaml(describe(load(std::nullopt))).values;
    CHECK(defaults.broker.url == "amqp://guest:***@localhost:5672");
    defaults.broker.url = config{}.broker.url;
    CHECK(defaults == config{});
  }
}

}  // namespace
}  // namespace swpt::daemon

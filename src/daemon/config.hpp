#pragma once
// The daemon's configuration (`swpt-stomp run`, `swpt-stomp check-config`):
// a YAML file, overridden by the upstream environment variables, overridden
// by command-line options. config/swpt-stomp.yaml lists every key with its
// default and meaning; the defaults are the member initializers below and
// the units' own settings structs.

#include "daemon/variables.hpp"
#include "log/log.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::daemon {

using namespace std::chrono_literals;
using duration = std::chrono::milliseconds;

// `watch`: someone else declares a peer's queues and creates ACTIVE; the
// daemon reacts. `manage`: the daemon declares the queues of a peer that has
// sub-ca.crt (the topology of configure-queue) and then creates ACTIVE.
enum class activation_mode { watch, manage };

struct listener {
  std::string address;  // empty: every interface (IPv6 with IPv4 mapped, else IPv4)
  std::uint16_t port = 1234;
  friend bool operator==(const listener&, const listener&) = default;
};

struct server_config {
  bool enabled = true;
  std::vector<listener> listeners{listener{}};            // server.listen; SWPT_SERVER_PORT sets the first one's port
  std::string certificate = "/etc/swpt/server.crt";       // SWPT_SERVER_CERT
  std::string key = "/secrets/swpt-server.key";           // SWPT_SERVER_KEY
  std::size_t buffer = 100;                               // SWPT_SERVER_BUFFER
  int backlog = 100;                                      // APP_STOMP_SERVER_BACKLOG
  duration handshake_timeout = 5s;                        // APP_SSL_HANDSHAKE_TIMEOUT
  std::size_t max_connections_per_peer = 10;              // APP_MAX_CONNECTIONS_PER_PEER
  std::size_t max_connections = 4000;
  std::size_t max_pending_handshakes = 100;
  std::size_t max_pending_handshakes_per_address = 10;
  duration peers_check_interval = 3600s;                  // APP_PEERS_CHECK_SECONDS
  std::size_t max_cached_peers = 5000;                    // APP_MAX_CACHED_PEERS
  duration peers_cache_lifetime = 600s;                   // APP_PEERS_CACHE_SECONDS
  std::size_t file_read_threads = 0;                      // APP_FILE_READ_THREADS; 0: 4
  friend bool operator==(const server_config&, const server_config&) = default;
};

struct client_config {
  std::size_t buffer = 100;  // SWPT_CLIENT_BUFFER
  // Queue names of a peer with N queues (queues.txt), n = 0..N-1:
  // `{peer}` is the peer's node ID, `{n}` the number. A template without
  // `{n}` names one queue (compose's `aa.{peer}`); such a peer with more
  // than one queue is an error of that peer.
  std::string queue_name = "peer.{peer}.{n}";
  // Reconnection after a connection ended: full jitter below a ceiling that
  // doubles from `initial` to `max`; reset after `healthy_after` of a
  // working connection.
  duration backoff_initial = 1s;
  duration backoff_max = 60s;
  // When the peer's ERROR says we are not welcome (deactivated, unknown)
  // or its certificate does not fit: the same, with longer delays.
  duration refused_backoff_initial = 30s;
  duration refused_backoff_max = 600s;
  duration healthy_after = 60s;
  // Consume exclusively, so that of several replicas of one node only one
  // forwards a queue; the others stand by and ask again after about
  // `standby_retry`.
  bool exclusive = true;
  duration standby_retry = 2s;
  friend bool operator==(const client_config&, const client_config&) = default;
};

struct drainer_config {
  bool enabled = true;
  // Stop a drainer once its queue is empty; else it keeps draining what
  // still arrives until the peer's directory goes.
  bool stop_when_empty = false;
  friend bool operator==(const drainer_config&, const drainer_config&) = default;
};

struct broker_config {
  std::string url = "amqp://guest:guest@localhost:5672";  // PROTOCOL_BROKER_URL; the password is never shown
  duration connection_timeout = 10s;                      // APP_RMQ_CONNECTION_TIMEOUT_SECONDS
  duration confirmation_timeout = 20s;                    // APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS
  duration heartbeat = 30s;
  std::size_t consumer_connections = 8;                   // the pool's connections, at most
  std::size_t channels_per_connection = 200;              // queues one consumer connection serves
  friend bool operator==(const broker_config&, const broker_config&) = default;
};

struct timeouts_config {
  duration connect = 10s;   // after the TLS handshake, until CONNECT / CONNECTED
  duration close = 5s;      // a closing connection's last frames
  duration shutdown = 8s;   // SIGTERM: the graceful end's bound; then everything stops at once
  friend bool operator==(const timeouts_config&, const timeouts_config&) = default;
};

struct logging_config {
  log::level level = log::level::info;    // APP_LOG_LEVEL
  log::format format = log::format::text;  // APP_LOG_FORMAT
  friend bool operator==(const logging_config&, const logging_config&) = default;
};

struct config {
  std::string node_database = "file:///var/lib/swpt-nodedata";  // SWPT_NODEDATA_URL
  activation_mode activation = activation_mode::watch;
  // The stat-based rescan of the node database. An NFS client caches file
  // attributes for 3 s or more anyway (acregmin); a scan of 1,000 unchanged
  // peers costs about 40 ms of CPU (bench/scan_bench).
  duration rescan_interval = 5s;
  broker_config broker;
  server_config server;
  client_config clients;
  drainer_config drainers;
  timeouts_config timeouts;
  logging_config logging;
  std::string http_listen;  // "address:port" for health, metrics and status; empty: off
  friend bool operator==(const config&, const config&) = default;
};

// Where a value came from (check-config prints it next to each key).
enum class value_source { default_value, file, environment, option };

struct loaded_config {
  config values;
  std::optional<std::filesystem::path> file;
  // Dotted key ("server.buffer", "broker.url") -> its source; keys not
  // listed kept their defaults.
  std::map<std::string, value_source> sources;
};

// What() says where the value came from and what is wrong with it:
// "/etc/swpt-stomp.yaml:12: server.buffer: must be at least 1",
// `SWPT_SERVER_BUFFER: invalid value "x": expected ...`,
// "server.buffer (command line): must be at least 1". `key` is the dotted
// key (or the environment variable; empty for a file that is not YAML),
// `line` 1-based or 0 when the value came from elsewhere.
class config_error : public std::runtime_error {
 public:
  config_error(std::string key, std::size_t line, const std::string& what)
      : std::runtime_error{what}, key_{std::move(key)}, line_{line} {}
  const std::string& key() const noexcept { return key_; }
  std::size_t line() const noexcept { return line_; }

 private:
  std::string key_;
  std::size_t line_;
};

struct config_inputs {
  std::optional<std::filesystem::path> file;  // --config, else SWPT_CONFIG; none: defaults
  environment_lookup getenv;
  // From the command line, in order: dotted key and value as text
  // (`--set server.buffer=200`, and the named options mapped to keys).
  std::vector<std::pair<std::string, std::string>> options;
};

// Reads, overrides and checks everything. Throws config_error for the
// first problem: a file that cannot be read or is not YAML, an unknown key,
// a value of the wrong type or out of range.
loaded_config load_config(const config_inputs& in);

// The effective configuration as YAML-like text, every key with its value
// (secrets masked: the broker URL's password) and its source.
std::string describe(const loaded_config& c);

// The broker URL with its password replaced by "***".
std::string mask_password(std::string_view url);

// The queue names of a peer with `count` queues, per the template. Throws
// std::invalid_argument when a template without `{n}` is asked for more
// than one (a problem of that peer's queues.txt, not of the configuration).
std::vector<std::string> queue_names(const std::string& name_template, std::string_view peer_id, int count);

}  // namespace swpt::daemon

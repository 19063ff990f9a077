#include "daemon/config.hpp"

#include "amqp/broker_url.hpp"
#include "nodedata/database_url.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace swpt::daemon {
namespace {

constexpr long long int_max = std::numeric_limits<int>::max();

// A value that breaks its key's rule. For a part of a list value, `inner`
// names the part ("[0].port") and `mark` says where it is in the file.
struct bad_value : std::runtime_error {
  explicit bad_value(const std::string& what, std::string inner_key = {}, std::optional<YAML::Mark> at = {})
      : std::runtime_error{what}, inner{std::move(inner_key)}, mark{at} {}
  std::string inner;
  std::optional<YAML::Mark> mark;
};

// ---- Values from YAML nodes (file values, and option values parsed as YAML)

// A quoted scalar is a string even when it reads like a number.
bool quoted(const YAML::Node& n) { return n.Tag() == "!"; }

std::string string_of(const YAML::Node& n) {
  if (n.IsNull()) return {};
  if (!n.IsScalar()) throw bad_value{"must be a string"};
  return n.Scalar();
}

template <class T>
T integer_of(const YAML::Node& n, long long min, long long max) {
  long long value = 0;
  if (!n.IsScalar() || quoted(n) || !parse_decimal(trim(n.Scalar()), value)) throw bad_value{"must be an integer"};
  if (value < min) throw bad_value{fmt::format("must be at least {}", min)};
  if (value > max) throw bad_value{fmt::format("must be at most {}", max)};
  return static_cast<T>(value);
}

bool flag_of(const YAML::Node& n) {
  if (n.IsScalar() && !quoted(n)) {
    for (const std::string_view t : {"true", "True", "TRUE"})
      if (n.Scalar() == t) return true;
    for (const std::string_view f : {"false", "False", "FALSE"})
      if (n.Scalar() == f) return false;
  }
  throw bad_value{"must be true or false"};
}

// "5" and "0.5" are seconds; "500ms", "5s", "2m" and "1h" carry their unit.
std::optional<double> seconds_in(std::string_view text) {
  struct unit {
    std::string_view suffix;
    double seconds;
  };
  constexpr std::array<unit, 4> units{{{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}}};
  double scale = 1;
  for (const auto& u : units) {
    if (text.ends_with(u.suffix)) {
      text = trim(text.substr(0, text.size() - u.suffix.size()));
      scale = u.seconds;
      break;
    }
  }
  double value = 0;
  if (!parse_decimal(text, value)) return std::nullopt;
  return value * scale;
}

duration duration_of(const YAML::Node& n, bool zero_allowed, duration max) {
  const auto seconds = n.IsScalar() ? seconds_in(trim(n.Scalar())) : std::nullopt;
  if (!seconds) throw bad_value{"must be a duration: seconds (5, 0.5) or with a unit (500ms, 5s, 2m, 1h)"};
  const auto d = to_duration<duration>(*seconds, zero_allowed);
  if (!d) throw bad_value{zero_allowed ? "must be 0 or more" : "must be above 0"};
  if (*d > max) throw bad_value{fmt::format("must be at most {}s", max.count() / 1000)};
  return *d;
}

// ---- The rules of particular values

void check_database_url(const std::string& url) {
  try {
    (void)nodedata::parse_database_url(url);
  } catch (const std::invalid_argument&) {
    throw bad_value{"must be file:///<absolute path>"};
  }
}

void check_broker_url(const std::string& url) {
  try {
    (void)amqp::broker_url::parse(url);
  } catch (const std::invalid_argument& e) {
    throw bad_value{e.what()};  // names what is wrong, never the password
  }
}

void check_not_empty(const std::string& text) {
  if (text.empty()) throw bad_value{"must not be empty"};
}

// Placeholders are {peer} and {n}; any other brace is a typo.
void check_queue_template(const std::string& t) {
  bool has_peer = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string_view rest = std::string_view{t}.substr(i);
    if (rest.starts_with("{peer}")) {
      has_peer = true;
      i += 5;
    } else if (rest.starts_with("{n}")) {
      i += 2;
    } else if (t[i] == '{' || t[i] == '}') {
      throw bad_value{"may hold only the placeholders {peer} and {n}"};
    }
  }
  if (!has_peer) throw bad_value{"must contain {peer}"};
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "host:port", an IPv6 address in brackets ("[::1]:8080"); empty: off.
void check_host_port(const std::string& text) {
  if (text.empty()) return;
  const auto colon = text.rfind(':');
  std::uint16_t port = 0;
  const bool port_ok = colon != std::string::npos && parse_decimal(std::string_view{text}.substr(colon + 1), port) &&
                       port > 0;
  const std::string_view host = std::string_view{text}.substr(0, colon == std::string::npos ? 0 : colon);
  const bool bracketed = host.starts_with('[') && host.ends_with(']');
  const bool host_ok = !host.empty() && (bracketed || host.find(':') == std::string_view::npos);
  if (!port_ok || !host_ok) throw bad_value{"must be \"host:port\" (port 1 to 65535), or empty for none"};
}

std::uint16_t port_of(const YAML::Node& n) { return integer_of<std::uint16_t>(n, 1, 65535); }

std::string address_of(const YAML::Node& n) {
  auto address = string_of(n);
  if (!address.empty() && !is_ip_address(address))
    throw bad_value{"must be an IP address, or empty for every interface"};
  return address;
}

std::vector<listener> listeners_of(const YAML::Node& n) {
  if (!n.IsSequence()) throw bad_value{"must be a list of {address, port}"};
  if (n.size() == 0) throw bad_value{"must list at least one {address, port} (server.enabled: false turns the server off)"};
  std::vector<listener> all;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    if (!item.IsMap()) throw bad_value{"must be {address, port}", fmt::format("[{}]", i), item.Mark()};
    listener l;
    for (const auto& pair : item) {
      const std::string name = pair.first.IsScalar() ? pair.first.Scalar() : "?";
      try {
        if (name == "address")
          l.address = address_of(pair.second);
        else if (name == "port")
          l.port = port_of(pair.second);
        else
          throw bad_value{"unknown key"};
      } catch (const bad_value& e) {
        const auto at = name == "address" || name == "port" ? pair.second.Mark() : pair.first.Mark();
        throw bad_value{e.what(), fmt::format("[{}].{}", i, name), at};
      }
    }
    if (std::find(all.begin(), all.end(), l) != all.end())
      throw bad_value{"listed twice", fmt::format("[{}]", i), item.Mark()};
    all.push_back(l);
  }
  return all;
}

// ---- Values shown (check-config): YAML that reads back as the same value

std::string shown(std::size_t v) { return std::to_string(v); }
std::string shown(int v) { return std::to_string(v); }
std::string shown(bool v) { return v ? "true" : "false"; }
std::string shown(activation_mode m) { return m == activation_mode::watch ? "watch" : "manage"; }
std::string shown(log::format f) { return f == log::format::text ? "text" : "json"; }

std::string shown(log::level l) {
  std::string name{log::level_name(l)};
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string shown(duration d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string shown(const std::string& s) {
  YAML::Emitter e;
  e << s;
  std::string out = e.c_str();
  // The emitter leaves "123" or "true" plain, which would read back as a
  // number or a flag.
  double number = 0;
  const bool ambiguous = parse_decimal(std::string_view{s}, number) ||
                         std::set<std::string_view>{"true", "false", "null", "~", "yes", "no", "on", "off"}.contains(s);
  return ambiguous && out == s ? '"' + s + '"' : out;
}

// In a flow mapping an IPv6 address must be quoted; addresses hold no '"'.
std::string shown(const std::vector<listener>& all) {
  std::string out = "[";
  for (const auto& l : all) {
    out += fmt::format("{}{{address: \"{}\", port: {}}}", out.size() > 1 ? ", " : "", l.address, l.port);
  }
  return out + "]";
}

// ---- The keys

struct key_rule {
  std::string_view key;
  const char* variable;  // the upstream environment variable, or null
  std::function<void(config&, const YAML::Node&)> set;
  std::function<std::string(const config&)> show;
};

// `access` is a generic lambda returning the member (const or not).
template <class Access, class Read>
key_rule rule(std::string_view key, const char* variable, Access access, Read read) {
  return {key, variable, [access, read](config& c, const YAML::Node& n) { access(c) = read(n); },
          [access](const config& c) { return shown(access(c)); }};
}

auto count(long long min, long long max = int_max) {
  return [min, max](const YAML::Node& n) { return integer_of<std::size_t>(n, min, max); };
}
constexpr duration no_limit = std::chrono::duration_cast<duration>(std::chrono::seconds{1'000'000'000});
auto seconds(bool zero_allowed = false, duration max = no_limit) {
  return [zero_allowed, max](const YAML::Node& n) { return duration_of(n, zero_allowed, max); };
}
auto flag() { return [](const YAML::Node& n) { return flag_of(n); }; }
auto text(void (*check)(const std::string&)) {
  return [check](const YAML::Node& n) {
    auto value = string_of(n);
    check(value);
    return value;
  };
}
template <class T>
auto choice(std::optional<T> (*parse)(std::string_view), const char* choices) {
  return [parse, choices](const YAML::Node& n) {
    const auto value = n.IsScalar() ? parse(n.Scalar()) : std::nullopt;
    if (!value) throw bad_value{fmt::format("must be one of {}", choices)};
    return *value;
  };
}
std::optional<activation_mode> parse_activation(std::string_view name) {
  if (name == "watch") return activation_mode::watch;
  if (name == "manage") return activation_mode::manage;
  return std::nullopt;
}

// Every key, in the order of config.hpp (and of check-config's output).
const std::vector<key_rule>& rules() {
  static const std::vector<key_rule> all{
      rule("node_database", "SWPT_NODEDATA_URL", [](auto& c) -> auto& { return c.node_database; }, text(check_database_url)),
      rule("activation", nullptr, [](auto& c) -> auto& { return c.activation; }, choice(parse_activation, "watch, manage")),
      rule("rescan_interval", nullptr, [](auto& c) -> auto& { return c.rescan_interval; }, seconds()),

      rule("broker.url", "PROTOCOL_BROKER_URL", [](auto& c) -> auto& { return c.broker.url; }, text(check_broker_url)),
      rule("broker.connection_timeout", "APP_RMQ_CONNECTION_TIMEOUT_SECONDS", [](auto& c) -> auto& { return c.broker.connection_timeout; }, seconds()),
      rule("broker.confirmation_timeout", "APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS", [](auto& c) -> auto& { return c.broker.confirmation_timeout; }, seconds()),
      // rabbitmq-c negotiates whole seconds up to 65535; 0 would turn
      // heartbeats off and hide a half-open connection.
      rule("broker.heartbeat", nullptr, [](auto& c) -> auto& { return c.broker.heartbeat; }, seconds(false, std::chrono::seconds{65535})),
      rule("broker.consumer_connections", nullptr, [](auto& c) -> auto& { return c.broker.consumer_connections; }, count(1, 1024)),
      // An AMQP channel number is 16 bits.
      rule("broker.channels_per_connection", nullptr, [](auto& c) -> auto& { return c.broker.channels_per_connection; }, count(1, 65535)),

      rule("server.enabled", nullptr, [](auto& c) -> auto& { return c.server.enabled; }, flag()),
      rule("server.listen", "SWPT_SERVER_PORT", [](auto& c) -> auto& { return c.server.listeners; }, listeners_of),
      rule("server.certificate", "SWPT_SERVER_CERT", [](auto& c) -> auto& { return c.server.certificate; }, text(check_not_empty)),
      rule("server.key", "SWPT_SERVER_KEY", [](auto& c) -> auto& { return c.server.key; }, text(check_not_empty)),
      rule("server.buffer", "SWPT_SERVER_BUFFER", [](auto& c) -> auto& { return c.server.buffer; }, count(1)),
      rule("server.backlog", "APP_STOMP_SERVER_BACKLOG", [](auto& c) -> auto& { return c.server.backlog; },
           [](const YAML::Node& n) { return integer_of<int>(n, 0, int_max); }),
      rule("server.handshake_timeout", "APP_SSL_HANDSHAKE_TIMEOUT", [](auto& c) -> auto& { return c.server.handshake_timeout; }, seconds()),
      rule("server.max_connections_per_peer", "APP_MAX_CONNECTIONS_PER_PEER", [](auto& c) -> auto& { return c.server.max_connections_per_peer; }, count(1)),
      rule("server.max_connections", nullptr, [](auto& c) -> auto& { return c.server.max_connections; }, count(1)),
      rule("server.max_pending_handshakes", nullptr, [](auto& c) -> auto& { return c.server.max_pending_handshakes; }, count(1)),
      rule("server.max_pending_handshakes_per_address", nullptr, [](auto& c) -> auto& { return c.server.max_pending_handshakes_per_address; }, count(1)),
      rule("server.peers_check_interval", "APP_PEERS_CHECK_SECONDS", [](auto& c) -> auto& { return c.server.peers_check_interval; }, seconds()),
      rule("server.max_cached_peers", "APP_MAX_CACHED_PEERS", [](auto& c) -> auto& { return c.server.max_cached_peers; }, count(0)),
      rule("server.peers_cache_lifetime", "APP_PEERS_CACHE_SECONDS", [](auto& c) -> auto& { return c.server.peers_cache_lifetime; }, seconds(true)),
      // 0: four (run.cpp).
      rule("server.file_read_threads", "APP_FILE_READ_THREADS", [](auto& c) -> auto& { return c.server.file_read_threads; },
           count(0, static_cast<long long>(max_file_read_threads))),

      rule("clients.buffer", "SWPT_CLIENT_BUFFER", [](auto& c) -> auto& { return c.clients.buffer; }, count(1)),
      rule("clients.queue_name", nullptr, [](auto& c) -> auto& { return c.clients.queue_name; }, text(check_queue_template)),
      rule("clients.backoff_initial", nullptr, [](auto& c) -> auto& { return c.clients.backoff_initial; }, seconds()),
      rule("clients.backoff_max", nullptr, [](auto& c) -> auto& { return c.clients.backoff_max; }, seconds()),
      rule("clients.refused_backoff_initial", nullptr, [](auto& c) -> auto& { return c.clients.refused_backoff_initial; }, seconds()),
      rule("clients.refused_backoff_max", nullptr, [](auto& c) -> auto& { return c.clients.refused_backoff_max; }, seconds()),
      rule("clients.healthy_after", nullptr, [](auto& c) -> auto& { return c.clients.healthy_after; }, seconds()),
      rule("clients.exclusive", nullptr, [](auto& c) -> auto& { return c.clients.exclusive; }, flag()),
      rule("clients.standby_retry", nullptr, [](auto& c) -> auto& { return c.clients.standby_retry; }, seconds()),

      rule("drainers.enabled", nullptr, [](auto& c) -> auto& { return c.drainers.enabled; }, flag()),
      rule("drainers.stop_when_empty", nullptr, [](auto& c) -> auto& { return c.drainers.stop_when_empty; }, flag()),

      rule("timeouts.connect", nullptr, [](auto& c) -> auto& { return c.timeouts.connect; }, seconds()),
      rule("timeouts.close", nullptr, [](auto& c) -> auto& { return c.timeouts.close; }, seconds()),
      rule("timeouts.shutdown", nullptr, [](auto& c) -> auto& { return c.timeouts.shutdown; }, seconds()),

      rule("logging.level", "APP_LOG_LEVEL", [](auto& c) -> auto& { return c.logging.level; }, choice(log::parse_level, "error, warning, info, debug")),
      rule("logging.format", "APP_LOG_FORMAT", [](auto& c) -> auto& { return c.logging.format; }, choice(log::parse_format, "text, json")),

      rule("http_listen", nullptr, [](auto& c) -> auto& { return c.http_listen; }, text(check_host_port)),
  };
  return all;
}

const key_rule* find_rule(std::string_view key) {
  const auto& all = rules();
  const auto it = std::find_if(all.begin(), all.end(), [key](const key_rule& r) { return r.key == key; });
  return it == all.end() ? nullptr : &*it;
}

const key_rule& rule_of(std::string_view key) { return *find_rule(key); }

// "server" is a section: keys "server.<name>" exist.
bool is_section(std::string_view name) {
  return std::any_of(rules().begin(), rules().end(),
                     [name](const key_rule& r) { return r.key.size() > name.size() && r.key.starts_with(name) && r.key[name.size()] == '.'; });
}

std::string section_of(std::string_view key) {
  const auto dot = key.find('.');
  return dot == std::string_view::npos ? std::string{} : std::string{key.substr(0, dot)};
}

// ---- Loading

struct origin {
  value_source source = value_source::default_value;
  std::size_t line = 0;         // file values
  std::string variable;         // environment values
};

int rank(value_source s) { return static_cast<int>(s); }

class loader {
 public:
  explicit loader(const config_inputs& in) : in_{in} {}

  loaded_config load() {
    if (in_.file) read_file(*in_.file);
    if (in_.getenv) {
      try {
        read_environment();
      } catch (const variable_error& e) {
        throw config_error{e.variable(), 0, e.what()};
      }
    }
    for (const auto& [key, value] : in_.options) read_option(key, value);
    check_together();
    loaded_config out{c_, in_.file, {}};
    for (const auto& [key, o] : origins_) out.sources.emplace(key, o.source);
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& key, const origin& o, std::string_view message) const {
    switch (o.source) {
      case value_source::file:
        throw config_error{key, o.line, fmt::format("{}:{}: {}: {}", in_.file->string(), o.line, key, message)};
      case value_source::environment:
        throw config_error{o.variable, 0, fmt::format("{} ({}): {}", o.variable, key, message)};
      case value_source::option:
        throw config_error{key, 0, fmt::format("{} (command line): {}", key, message)};
      case value_source::default_value:
        break;
    }
    throw config_error{key, 0, fmt::format("{}: {}", key, message)};
  }

  void apply(const key_rule& r, const YAML::Node& value, origin o) {
    try {
      r.set(c_, value);
    } catch (const bad_value& e) {
      if (e.mark && o.source == value_source::file && e.mark->line >= 0) o.line = static_cast<std::size_t>(e.mark->line) + 1;
      fail(std::string{r.key} + e.inner, o, e.what());
    }
    origins_[std::string{r.key}] = std::move(o);
  }

  // -- The file

  static std::size_t line_of(const YAML::Mark& m) { return m.line < 0 ? 0 : static_cast<std::size_t>(m.line) + 1; }

  void read_file(const std::filesystem::path& path) {
    std::ifstream stream{path};
    if (!stream) throw config_error{"", 0, fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno))};
    std::ostringstream text;
    text << stream.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::ParserException& e) {
      throw config_error{"", line_of(e.mark), fmt::format("{}:{}: not valid YAML: {}", path.string(), line_of(e.mark), e.msg)};
    }
    if (root.IsNull()) return;  // an empty file: the defaults
    if (!root.IsMap())
      throw config_error{"", line_of(root.Mark()), fmt::format("{}:{}: must be a mapping of keys", path.string(), line_of(root.Mark()))};
    read_map(root, "");
  }

  void read_map(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (const auto& pair : map) {
      const YAML::Node& key = pair.first;
      const YAML::Node& value = pair.second;
      const origin at_key{value_source::file, line_of(key.Mark()), {}};
      const std::string name = prefix + (key.IsScalar() ? key.Scalar() : "?");
      if (!key.IsScalar()) fail(name, at_key, "keys must be names");
      if (!seen.insert(name).second) fail(name, at_key, "given twice");
      if (is_section(name)) {
        if (value.IsNull()) continue;
        if (!value.IsMap()) fail(name, at_key, "must be a mapping of keys");
        read_map(value, name + ".");
        continue;
      }
      const key_rule* r = find_rule(name);
      if (r == nullptr) fail(name, at_key, "unknown key");
      // A null value ("key:") has no position of its own.
      const auto value_line = value.IsNull() ? 0 : line_of(value.Mark());
      apply(*r, value, origin{value_source::file, value_line == 0 ? at_key.line : value_line, {}});
    }
  }

  // -- The environment

  void read_environment() {
    const variable_reader env{in_.getenv};
    // In the order the upstream commands read them: options first.
    read_text(env, "SWPT_NODEDATA_URL");
    read_text(env, "PROTOCOL_BROKER_URL");
    std::uint16_t port = 0;
    if (env.integer("SWPT_SERVER_PORT", port, std::uint16_t{1}, std::uint16_t{65535})) {
      first_listener().port = port;
      from_environment("server.listen");
    }
    read_text(env, "SWPT_SERVER_CERT");
    read_text(env, "SWPT_SERVER_KEY");
    if (env.buffer("SWPT_SERVER_BUFFER", c_.server.buffer)) from_environment("server.buffer");
    if (env.buffer("SWPT_CLIENT_BUFFER", c_.clients.buffer)) from_environment("clients.buffer");
    read_text(env, "APP_LOG_LEVEL");
    read_text(env, "APP_LOG_FORMAT");

    const auto t = read_tunable_values(in_.getenv);
    auto& s = c_.server;
    if (assign_if_set(s.handshake_timeout, t.ssl_handshake_timeout)) from_environment("server.handshake_timeout");
    if (assign_if_set(s.max_cached_peers, t.max_cached_peers)) from_environment("server.max_cached_peers");
    if (assign_if_set(s.peers_cache_lifetime, t.peers_cache_lifetime)) from_environment("server.peers_cache_lifetime");
    if (assign_if_set(s.peers_check_interval, t.peers_check_period)) from_environment("server.peers_check_interval");
    if (assign_if_set(s.file_read_threads, t.file_read_threads)) from_environment("server.file_read_threads");
    if (assign_if_set(c_.broker.connection_timeout, t.rmq_connection_timeout)) from_environment("broker.connection_timeout");
    if (assign_if_set(c_.broker.confirmation_timeout, t.rmq_confirmation_timeout)) from_environment("broker.confirmation_timeout");
    if (assign_if_set(s.backlog, t.stomp_server_backlog)) from_environment("server.backlog");
    if (assign_if_set(s.max_connections_per_peer, t.max_connections_per_peer)) from_environment("server.max_connections_per_peer");
  }

  void from_environment(std::string_view key) {
    origins_[std::string{key}] = origin{value_source::environment, 0, rule_of(key).variable};
  }

  // A variable whose value the key's own rule checks (URLs, paths, log
  // settings). The broker URL is never repeated: it holds the password.
  void read_text(const variable_reader& env, const char* variable) {
    const auto value = env.value_of(variable);
    if (!value) return;
    const auto& all = rules();
    const auto& r = *std::find_if(all.begin(), all.end(), [variable](const key_rule& k) {
      return k.variable != nullptr && std::string_view{k.variable} == variable;
    });
    try {
      r.set(c_, YAML::Node{std::string{*value}});
    } catch (const bad_value& e) {
      if (r.key == "broker.url") throw config_error{variable, 0, fmt::format("{}: {}", variable, e.what())};
      throw config_error{variable, 0, fmt::format("{}: invalid value \"{}\": {}", variable, *value, e.what())};
    }
    from_environment(r.key);
  }

  listener& first_listener() {
    if (c_.server.listeners.empty()) c_.server.listeners.emplace_back();
    return c_.server.listeners.front();
  }

  // -- The command line

  void read_option(const std::string& key, const std::string& text) {
    const origin here{value_source::option, 0, {}};
    YAML::Node value;
    try {
      value = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(key, here, fmt::format("not a YAML value: {}", e.msg));
    }
    // "::1" or "a: b" read as a mapping; only a value written as a list or
    // mapping ("[...]", "{...}") is meant as one.
    if (!value.IsScalar() && !value.IsNull() && !trim(text).starts_with('[') && !trim(text).starts_with('{'))
      value = YAML::Node{text};
    if (read_listener_option(key, value)) return;
    const key_rule* r = find_rule(key);
    if (r == nullptr) fail(key, here, is_section(key) ? "is a section: name one of its keys" : "unknown key");
    apply(*r, value, here);
  }

  // "server.listen[0].port" (what --server-port sets) and ".address".
  bool read_listener_option(const std::string& key, const YAML::Node& value) {
    constexpr std::string_view prefix = "server.listen[";
    const auto close = key.find("].");
    if (!key.starts_with(prefix) || close == std::string::npos) return false;
    const origin here{value_source::option, 0, {}};
    std::size_t index = 0;
    auto& all = c_.server.listeners;
    if (!parse_decimal(std::string_view{key}.substr(prefix.size(), close - prefix.size()), index) || index > all.size())
      fail(key, here, fmt::format("no such listener: server.listen has {}", all.size()));
    if (index == all.size()) all.emplace_back();
    const auto field = std::string_view{key}.substr(close + 2);
    try {
      if (field == "port")
        all[index].port = port_of(value);
      else if (field == "address")
        all[index].address = address_of(value);
      else
        throw bad_value{"unknown key"};
    } catch (const bad_value& e) {
      fail(key, here, e.what());
    }
    origins_["server.listen"] = here;
    return true;
  }

  // -- Rules between keys

  void check_together() const {
    check_not_above("clients.backoff_initial", c_.clients.backoff_initial, "clients.backoff_max", c_.clients.backoff_max);
    check_not_above("clients.refused_backoff_initial", c_.clients.refused_backoff_initial, "clients.refused_backoff_max",
                    c_.clients.refused_backoff_max);
  }

  // Blames the key given last (option over environment over file).
  void check_not_above(const std::string& low, duration low_value, const std::string& high, duration high_value) const {
    if (low_value <= high_value) return;
    const auto low_origin = origin_of(low), high_origin = origin_of(high);
    if (rank(high_origin.source) > rank(low_origin.source))
      fail(high, high_origin, fmt::format("must not be below {} ({})", low, shown(low_value)));
    fail(low, low_origin, fmt::format("must not exceed {} ({})", high, shown(high_value)));
  }

  origin origin_of(const std::string& key) const {
    const auto it = origins_.find(key);
    return it == origins_.end() ? origin{} : it->second;
  }

  const config_inputs& in_;
  config c_;
  std::map<std::string, origin> origins_;
};

std::string source_comment(const key_rule& r, const loaded_config& c) {
  const auto it = c.sources.find(std::string{r.key});
  switch (it == c.sources.end() ? value_source::default_value : it->second) {
    case value_source::file:
      return "file";
    case value_source::environment:
      return fmt::format("env {}", r.variable);
    case value_source::option:
      return "option";
    case value_source::default_value:
      break;
  }
  return "default";
}

std::string expand(const std::string& name_template, std::string_view peer_id, int n) {
  std::string out;
  for (std::size_t i = 0; i < name_template.size(); ++i) {
    const std::string_view rest = std::string_view{name_template}.substr(i);
    if (rest.starts_with("{peer}")) {
      out += peer_id;
      i += 5;
    } else if (rest.starts_with("{n}")) {
      out += std::to_string(n);
      i += 2;
    } else {
      out += name_template[i];
    }
  }
  return out;
}

}  // namespace

loaded_config load_config(const config_inputs& in) { return loader{in}.load(); }

std::string describe(const loaded_config& c) {
  std::string out = fmt::format("# The effective configuration of swpt-stomp ({}).\n",
                                c.file ? "file " + c.file->string() : "no file: defaults, environment, options");
  std::string section;
  for (const auto& r : rules()) {
    const auto s = section_of(r.key);
    if (s != section && !s.empty()) out += s + ":\n";
    section = s;
    const auto name = section.empty() ? r.key : r.key.substr(section.size() + 1);
    auto value = r.show(c.values);
    if (r.key == "broker.url") value = shown(mask_password(c.values.broker.url));
    out += fmt::format("{}{}: {}  # {}\n", section.empty() ? "" : "  ", name, value, source_comment(r, c));
  }
  return out;
}

std::string mask_password(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string{url};
  const auto authority_begin = scheme_end + 3;
  const auto authority_end = std::min(url.find('/', authority_begin), url.size());
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < authority_begin) return std::string{url};
  const auto colon = url.substr(0, at).find(':', authority_begin);
  if (colon == std::string_view::npos) return std::string{url};
  return fmt::format("{}***{}", url.substr(0, colon + 1), url.substr(at));
}

std::vector<std::string> queue_names(const std::string& name_template, std::string_view peer_id, int count) {
  if (count < 0) throw std::invalid_argument{fmt::format("a negative number of queues: {}", count)};
  if (count > 1 && name_template.find("{n}") == std::string::npos)
    throw std::invalid_argument{
        fmt::format("the queue name template \"{}\" names one queue, but the peer has {}", name_template, count)};
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(count));
  for (int n = 0; n < count; ++n) names.push_back(expand(name_template, peer_id, n));
  return names;
}

}  // namespace swpt::daemon

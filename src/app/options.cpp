#include "app/options.hpp"

#include "daemon/variables.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <ostream>

#ifndef SWPT_STOMP_VERSION
#define SWPT_STOMP_VERSION "unknown"
#endif

namespace swpt::app {
namespace {

struct command_info {
  command which;
  std::string_view subcommand;
  std::string_view upstream;
  std::string_view summary;
};

// The daemon's commands have no upstream name.
constexpr std::array<command_info, 6> commands{{
    {command::server, "server", "swpt-server", "Receives peers' messages and publishes them to RabbitMQ."},
    {command::client, "client", "swpt-client", "Sends the messages of a RabbitMQ queue to one peer."},
    {command::drainer, "drainer", "swpt-drainer", "Empties a deactivated peer's queue, answering for the peer."},
    {command::configure_queue, "configure-queue", "configure-queue", "Declares the RabbitMQ objects of one peer's queue."},
    {command::run, "run", "", "Runs a node's whole STOMP side as one daemon, following the node database."},
    {command::check_config, "check-config", "", "Checks the daemon's configuration and prints it with its sources."},
}};

const command_info& info(command c) noexcept {
  return *std::find_if(commands.begin(), commands.end(), [c](const command_info& i) { return i.which == c; });
}

// An option whose value must be accepted by `parse` (log levels, formats).
template <class Parse>
CLI::Validator accepted_by(Parse parse, std::string choices) {
  return CLI::Validator{[parse, choices](std::string& value) -> std::string {
                          return parse(value) ? std::string{} : "must be one of " + choices;
                        },
                        ""};
}

// Values the command line holds before they become `options` fields.
struct raw_values {
  int port;
  long long server_buffer, client_buffer;
  std::string log_level = "info", log_format = "text";
};

// An option that falls back to an environment variable and shows its
// default in --help.
template <class T>
CLI::Option* add_setting(CLI::App& app, const std::string& names, T& target, const std::string& help,
                         const std::string& variable) {
  return app.add_option(names, target, help)->envname(variable)->capture_default_str();
}

void add_port(CLI::App& app, raw_values& raw) {
  add_setting(app, "-p,--server-port", raw.port, "TCP port the STOMP server listens on", "SWPT_SERVER_PORT")
      ->check(CLI::Range(0, 65535));
}

void add_certificate(CLI::App& app, options& o) {
  add_setting(app, "-c,--server-cert", o.server_cert, "PEM file with the node's server certificate",
              "SWPT_SERVER_CERT");
  add_setting(app, "-k,--server-key", o.server_key, "PEM file with the server certificate's unencrypted private key",
              "SWPT_SERVER_KEY");
}

void add_server_buffer(CLI::App& app, raw_values& raw, const std::string& names, const std::string& help) {
  add_setting(app, names, raw.server_buffer, help, "SWPT_SERVER_BUFFER");
}

void add_client_buffer(CLI::App& app, raw_values& raw) {
  add_setting(app, "-b,--client-buffer", raw.client_buffer,
              "Messages taken from the queue that may wait in memory (the RabbitMQ prefetch count)",
              "SWPT_CLIENT_BUFFER");
}

void add_common(CLI::App& app, options& o, raw_values& raw) {
  add_setting(app, "-n,--nodedata-url", o.nodedata_url, "The node database, as file:///<absolute path>",
              "SWPT_NODEDATA_URL");
  add_setting(app, "-u,--broker-url", o.broker_url, "The node's RabbitMQ broker (AMQP 0.9.1 URL)",
              "PROTOCOL_BROKER_URL");
  add_setting(app, "-l,--log-level", raw.log_level, "Log level: error, warning, info or debug", "APP_LOG_LEVEL")
      ->check(accepted_by(log::parse_level, "error, warning, info, debug"));
  add_setting(app, "-f,--log-format", raw.log_format, "Log format: text or json", "APP_LOG_FORMAT")
      ->check(accepted_by(log::parse_format, "text, json"));
}

void add_peer_and_queue(CLI::App& app, options& o) {
  app.add_option("PEER_NODE_ID", o.peer_node_id, "The peer's node ID")->required();
  app.add_option("QUEUE_NAME", o.queue_name, "The RabbitMQ queue of the peer's messages")->required();
}

void define(CLI::App& app, command c, options& o, raw_values& raw) {
  switch (c) {
    case command::server:
      add_port(app, raw);
      add_certificate(app, o);
      add_server_buffer(app, raw, "-b,--server-buffer",
                        "Messages received from a peer that may wait for RabbitMQ's confirmation");
      break;
    case command::client:
      add_peer_and_queue(app, o);
      add_certificate(app, o);
      add_client_buffer(app, raw);
      break;
    case command::drainer:
      add_peer_and_queue(app, o);
      add_client_buffer(app, raw);
      add_server_buffer(app, raw, "-B,--server-buffer", "Generated responses that may wait for RabbitMQ's confirmation");
      break;
    case command::configure_queue:
      add_peer_and_queue(app, o);
      break;
    case command::run:
    case command::check_config:
      break;  // parse_daemon_options
  }
  add_common(app, o, raw);
}

// Whether the option appears among the arguments (before any "--").
bool on_command_line(const CLI::Option& option, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--") break;
    for (const auto& name : option.get_lnames()) {
      if (arg == "--" + name || arg.starts_with("--" + name + "=")) return true;
    }
    for (const auto& name : option.get_snames()) {
      if (arg.starts_with("-" + name)) return true;
    }
  }
  return false;
}

// In containers the options come from the environment; a message that
// names only --server-port would send the operator looking for an option
// nobody passed.
std::string blame_environment(const CLI::App& app, const std::vector<std::string>& args, std::string message) {
  for (const CLI::Option* option : app.get_options()) {
    const auto variable = option->get_envname();
    const char* value = variable.empty() ? nullptr : std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0' || on_command_line(*option, args)) continue;
    if (message.find(option->get_name()) != std::string::npos)
      message += " (the value comes from " + variable + ")";
  }
  return message;
}

// Parses `args`; after --help or a usage error (both printed) returns the
// exit status to end with.
std::optional<int> parse_command_line(CLI::App& app, std::string_view program, const std::vector<std::string>& args,
                                      std::ostream& out, std::ostream& err) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    // --help wins over a bad value, even one from the environment.
    if (app.get_help_ptr()->count() > 0) {
      out << app.help();
      return exit_ok;
    }
    err << program << ": " << blame_environment(app, args, e.what()) << "\nTry '" << program
        << " --help' for help.\n";
    return exit_usage;
  }
  return std::nullopt;
}

// The daemon's named options: each sets one key of its configuration.
struct named_setting {
  const char* names;
  const char* type;
  const char* key;
  const char* help;
};
constexpr std::array<named_setting, 5> named_settings{{
    {"-n,--nodedata-url", "URL", "node_database", "The node database, as file:///<absolute path> (node_database)"},
    {"-u,--broker-url", "URL", "broker.url", "The node's RabbitMQ broker, an AMQP 0.9.1 URL (broker.url)"},
    {"-p,--server-port", "PORT", "server.listen[0].port", "TCP port of the server's first listener (server.listen[0].port)"},
    {"-l,--log-level", "LEVEL", "logging.level", "Log level: error, warning, info or debug (logging.level)"},
    {"-f,--log-format", "FORMAT", "logging.format", "Log format: text or json (logging.format)"},
}};

// One value per occurrence, so that "--set a=1 b=2" leaves b=2 to the
// usage error it is.
CLI::Option* single_valued(CLI::Option* option) {
  return option->type_size(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::vector<std::string> tail(const std::vector<std::string>& argv, std::size_t from) {
  return from < argv.size() ? std::vector<std::string>(argv.begin() + static_cast<std::ptrdiff_t>(from), argv.end())
                            : std::vector<std::string>{};
}

std::string_view basename(std::string_view path) noexcept {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void print_commands(std::ostream& s, std::string_view program) {
  s << "Usage: " << program << " COMMAND [ARGS]...\n\nCommands:\n";
  for (const auto& i : commands) {
    s << "  " << i.subcommand << std::string(18 - i.subcommand.size(), ' ') << i.summary << "\n";
  }
  s << "\nThe first four are also installed under their upstream names (swpt-server,\n"
       "swpt-client, swpt-drainer, configure-queue). '"
    << program << " COMMAND --help' shows a command's options.\n";
}

}  // namespace

std::string_view subcommand_name(command c) noexcept { return info(c).subcommand; }
std::string_view upstream_name(command c) noexcept { return info(c).upstream; }
bool is_daemon_command(command c) noexcept { return info(c).upstream.empty(); }

parse_result parse_options(command c, std::string_view program, const std::vector<std::string>& args,
                           std::ostream& out, std::ostream& err) {
  options o;
  raw_values raw{o.server_port, static_cast<long long>(o.server_buffer), static_cast<long long>(o.client_buffer)};
  CLI::App app{std::string{info(c).summary}, std::string{program}};
  // As with the original, an option given twice takes the last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  define(app, c, o, raw);

  if (const auto status = parse_command_line(app, program, args, out, err)) return *status;
  o.server_port = static_cast<std::uint16_t>(raw.port);
  o.server_buffer = daemon::at_least_one(raw.server_buffer);
  o.client_buffer = daemon::at_least_one(raw.client_buffer);
  o.log_level = *log::parse_level(raw.log_level);
  o.log_format = *log::parse_format(raw.log_format);
  return o;
}

daemon_parse_result parse_daemon_options(command c, std::string_view program, const std::vector<std::string>& args,
                                         std::ostream& out, std::ostream& err) {
  CLI::App app{std::string{info(c).summary}, std::string{program}};
  app.footer(
      "Precedence: the options, then the upstream environment variables (SWPT_NODEDATA_URL,\n"
      "PROTOCOL_BROKER_URL, SWPT_SERVER_PORT, APP_LOG_LEVEL, ...), then the file, then the\n"
      "defaults. docs/configuration.md lists the keys.\n");
  std::string file;
  app.add_option("--config", file, "The YAML configuration file (every key: config/swpt-stomp.yaml)")
      ->envname("SWPT_CONFIG")
      ->type_name("PATH");
  auto* set = single_valued(app.add_option("--set", "Sets one key, the value read as YAML (repeatable)"))
                  ->type_name("KEY=VALUE")
                  ->check(CLI::Validator{[](std::string& value) -> std::string {
                                           const auto eq = value.find('=');
                                           return eq == std::string::npos || eq == 0 ? "must be KEY=VALUE" : "";
                                         },
                                         ""});
  std::map<const CLI::Option*, std::string> keys;
  for (const auto& n : named_settings) keys[single_valued(app.add_option(n.names, n.help))->type_name(n.type)] = n.key;

  if (const auto status = parse_command_line(app, program, args, out, err)) return *status;

  daemon::config_inputs in;
  if (!file.empty()) in.file = file;
  in.getenv = [](const char* name) -> const char* { return std::getenv(name); };
  // parse_order() has an option once per occurrence: the n-th time it
  // appears, its n-th value.
  std::map<const CLI::Option*, std::size_t> seen;
  for (const CLI::Option* option : app.parse_order()) {
    const auto& value = option->results().at(seen[option]++);
    if (option == set) {
      const auto eq = value.find('=');
      in.options.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (const auto key = keys.find(option); key != keys.end()) {
      in.options.emplace_back(key->second, value);
    }
  }
  return in;
}

std::optional<command> command_for_program(std::string_view path) noexcept {
  const auto name = basename(path);
  for (const auto& i : commands) {
    if (!i.upstream.empty() && i.upstream == name) return i.which;
  }
  return std::nullopt;
}

dispatch_result dispatch(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const std::string_view argv0 = argv.empty() ? std::string_view{} : std::string_view{argv[0]};
  if (const auto c = command_for_program(argv0)) return invocation{*c, std::string{upstream_name(*c)}, tail(argv, 1)};

  const std::string program{argv0.empty() ? std::string_view{"swpt-stomp"} : basename(argv0)};
  if (argv.size() < 2) {
    err << program << ": a command is missing\n\n";
    print_commands(err, program);
    return exit_usage;
  }
  const std::string_view first = argv[1];
  if (first == "-h" || first == "--help") {
    print_commands(out, program);
    return exit_ok;
  }
  if (first == "--version") {
    out << program << " " << SWPT_STOMP_VERSION << "\n";
    return exit_ok;
  }
  for (const auto& i : commands) {
    if (i.subcommand == first) return invocation{i.which, program + " " + argv[1], tail(argv, 2)};
  }
  err << program << ": unknown command '" << first << "'\n\n";
  print_commands(err, program);
  return exit_usage;
}

}  // namespace swpt::app

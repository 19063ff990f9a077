#pragma once
// The command line of the four upstream commands (docs/rabbitmq-topology.md §5):
// which command runs, its arguments and options, each option falling back to
// its environment variable and then to its default; and of the daemon's two
// (docs/configuration.md), whose options override its configuration.
// Parsing prints help or a usage error itself and says which exit status
// that ends in; it starts nothing, so tests call it directly.

#include "daemon/config.hpp"

#include "log/log.hpp"
#include "session/settings.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace swpt::app {

// The four upstream commands, then the daemon's: `run` (the supervisor
// daemon) and `check-config` (prints its effective configuration).
enum class command { server, client, drainer, configure_queue, run, check_config };

// "server", "client", "drainer", "configure-queue", "run", "check-config":
// the subcommand of `swpt-stomp`.
std::string_view subcommand_name(command c) noexcept;
// "swpt-server", "swpt-client", "swpt-drainer", "configure-queue": the
// upstream program name, installed as a symlink to swpt-stomp; empty for
// the daemon's commands.
std::string_view upstream_name(command c) noexcept;
// Whether `c` is run or check-config (parse_daemon_options), not one of the
// four upstream commands (parse_options).
bool is_daemon_command(command c) noexcept;

// Exit statuses shared by every command.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // start-up failed, or the work ended badly
inline constexpr int exit_usage = 2;    // bad arguments, options or environment values

struct options {
  // The arguments of client, drainer and configure-queue.
  std::string peer_node_id;
  std::string queue_name;

  std::uint16_t server_port = session::server_settings{}.port;  // -p, SWPT_SERVER_PORT
  std::string server_cert = "/etc/swpt/server.crt";            // -c, SWPT_SERVER_CERT
  std::string server_key = "/secrets/swpt-server.key";         // -k, SWPT_SERVER_KEY
  std::string nodedata_url = "file:///var/lib/swpt-nodedata";  // -n, SWPT_NODEDATA_URL
  std::string broker_url = "amqp://guest:guest@localhost:5672";  // -u, PROTOCOL_BROKER_URL
  // Both buffers are at least 1: a smaller value given counts as 1. The
  // defaults are the sessions' own.
  std::size_t server_buffer = session::server_settings{}.buffer;  // server -b, drainer -B; SWPT_SERVER_BUFFER
  std::size_t client_buffer = session::client_settings{}.buffer;  // client -b, drainer -b; SWPT_CLIENT_BUFFER
  log::level log_level = log::level::info;  // -l, APP_LOG_LEVEL
  log::format log_format = log::format::text;  // -f, APP_LOG_FORMAT
};

// Either what to run with, or the exit status to end with at once (0 after
// --help, exit_usage after a usage error, both already printed).
using parse_result = std::variant<options, int>;

// Parses `args` (without the program name) for command `c`. `program` is
// the name shown in help and usage messages ("swpt-client" or "swpt-stomp
// client"). Help goes to `out`, usage errors to `err`. Options may come
// before or after the arguments; unset options take their environment
// variable (read with getenv), then their default.
parse_result parse_options(command c, std::string_view program, const std::vector<std::string>& args,
                           std::ostream& out, std::ostream& err);

// `swpt-stomp run|check-config [--config PATH] [options]`: the inputs of
// daemon::load_config. The file is --config, else SWPT_CONFIG; the options
// (--set KEY=VALUE and the named ones, each mapped to its dotted key) keep
// their command-line order; the environment is read with std::getenv.
// Values are checked by load_config, not here: only a malformed --set is a
// usage error.
using daemon_parse_result = std::variant<daemon::config_inputs, int>;
daemon_parse_result parse_daemon_options(command c, std::string_view program, const std::vector<std::string>& args,
                                         std::ostream& out, std::ostream& err);

// Which command the process runs: by the name it was started under
// (swpt-server, swpt-client, swpt-drainer, configure-queue), or else by the
// first argument (`swpt-stomp client ...`).
struct invocation {
  command which;
  std::string program;             // for help and usage messages
  std::vector<std::string> args;  // what follows the program name or the subcommand
};
using dispatch_result = std::variant<invocation, int>;

// `argv` is the whole command line, argv[0] included. `swpt-stomp --help`
// prints the list of subcommands to `out` (0); a missing or unknown
// subcommand goes to `err` (exit_usage).
dispatch_result dispatch(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

// The command an upstream program name stands for; `path` may be a path
// ("/usr/bin/swpt-client").
std::optional<command> command_for_program(std::string_view path) noexcept;

}  // namespace swpt::app

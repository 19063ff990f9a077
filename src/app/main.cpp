// swpt-stomp: one executable for the four upstream commands and the daemon
// (run, check-config). Installed as swpt-server, swpt-client, swpt-drainer
// and configure-queue (symlinks), it runs the command its name says; as
// swpt-stomp, the one its first argument names.

#include "app/commands/commands.hpp"
#include "app/environment.hpp"
#include "app/options.hpp"
#include "app/setup.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace swpt::app;
  const std::vector<std::string> arguments(argv, argv + argc);

  const auto dispatched = dispatch(arguments, std::cout, std::cerr);
  if (const int* status = std::get_if<int>(&dispatched)) return *status;
  const auto& call = std::get<invocation>(dispatched);

  if (is_daemon_command(call.which)) {
    const auto inputs = parse_daemon_options(call.which, call.program, call.args, std::cout, std::cerr);
    if (const int* status = std::get_if<int>(&inputs)) return *status;
    try {
      return daemon_command(call.which, std::get<swpt::daemon::config_inputs>(inputs), std::cout, std::cerr);
    } catch (const std::exception& e) {
      command_logger(call.which).error("{}", describe(e));
      return exit_failure;
    }
  }

  const auto parsed = parse_options(call.which, call.program, call.args, std::cout, std::cerr);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const auto& opts = std::get<options>(parsed);

  tunables tune;
  try {
    tune = read_tunables([](const char* name) -> const char* { return std::getenv(name); });
  } catch (const environment_error& e) {
    std::cerr << call.program << ": " << e.what() << "\n";
    return exit_usage;
  }

  swpt::log::configure(swpt::log::stdout_sink(opts.log_format), opts.log_level);
  const auto logger = command_logger(call.which);
  try {
    return run(call.which, opts, tune);
  } catch (const std::exception& e) {
    logger.error("{}", describe(e));
    return exit_failure;
  }
}

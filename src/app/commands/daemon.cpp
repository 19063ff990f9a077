#include "app/commands/commands.hpp"
#include "daemon/run.hpp"

#include <ostream>
#include <utility>

namespace swpt::app {

int daemon_command(command c, const daemon::config_inputs& in, std::ostream& out, std::ostream& err) {
  daemon::loaded_config loaded;
  try {
    loaded = daemon::load_config(in);
  } catch (const daemon::config_error& e) {
    // Before logging is configured: the log format is part of what failed.
    err << "swpt-stomp: " << e.what() << "\n";
    return exit_failure;
  }
  if (c == command::check_config) {
    out << daemon::describe(loaded);
    return exit_ok;
  }
  log::configure(log::stdout_sink(loaded.values.logging.format), loaded.values.logging.level);
  return daemon::run(std::move(loaded), [in] { return daemon::load_config(in); });
}

}  // namespace swpt::app

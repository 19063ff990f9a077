#include "app/commands/commands.hpp"

#include <string>

namespace swpt::app {

int run(command c, const options& o, const tunables& t) {
  switch (c) {
    case command::server:
      return server_command(o, t);
    case command::client:
      return client_command(o, t);
    case command::drainer:
      return drainer_command(o, t);
    case command::configure_queue:
      return configure_queue_command(o, t);
    case command::run:
    case command::check_config:
      break;  // daemon_command
  }
  return exit_failure;
}

log::logger command_logger(command c) {
  switch (c) {
    case command::server:
      return log::logger{"swpt_stomp.server"};
    case command::client:
      return log::logger{"swpt_stomp.client"};
    case command::drainer:
      return log::logger{"swpt_stomp.drainer"};
    case command::run:
    case command::check_config:
      return log::logger{"swpt_stomp.daemon"};
    case command::configure_queue:
      break;
  }
  return log::logger{"swpt_stomp.configure_queue"};
}

}  // namespace swpt::app

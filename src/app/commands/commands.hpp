#pragma once
// The four upstream commands and the daemon's two. Each runs to its end and
// returns the exit status; start-up failures (files, node database, peer,
// broker URL) throw, and main logs them and exits 1.

#include "app/environment.hpp"
#include "app/options.hpp"
#include "daemon/config.hpp"
#include "log/log.hpp"

#include <iosfwd>

namespace swpt::app {

int server_command(const options& o, const tunables& t);           // swpt-server
int client_command(const options& o, const tunables& t);           // swpt-client PEER QUEUE
int drainer_command(const options& o, const tunables& t);          // swpt-drainer PEER QUEUE
int configure_queue_command(const options& o, const tunables& t);  // configure-queue PEER QUEUE

int run(command c, const options& o, const tunables& t);

// `swpt-stomp run` and `swpt-stomp check-config`: loads the configuration
// (a bad one: "swpt-stomp: <why>" to `err`, exit 1); check-config prints
// it to `out` (daemon::describe) and returns 0; run configures logging and
// runs the daemon, which reloads with the same inputs on SIGHUP.
int daemon_command(command c, const daemon::config_inputs& in, std::ostream& out, std::ostream& err);

// The logger a command logs its own lines with ("swpt_stomp.server", ...).
log::logger command_logger(command c);

}  // namespace swpt::app

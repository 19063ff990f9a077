#pragma once
// The four commands. Each runs to its end and returns the exit status;
// start-up failures (files, node database, peer, broker URL) throw, and
// main logs them and exits 1.

#include "app/environment.hpp"
#include "app/options.hpp"
#include "log/log.hpp"

namespace swpt::app {

int server_command(const options& o, const tunables& t);           // swpt-server
int client_command(const options& o, const tunables& t);           // swpt-client PEER QUEUE
int drainer_command(const options& o, const tunables& t);          // swpt-drainer PEER QUEUE
int configure_queue_command(const options& o, const tunables& t);  // configure-queue PEER QUEUE

int run(command c, const options& o, const tunables& t);

// The logger a command logs its own lines with ("swpt_stomp.server", ...).
log::logger command_logger(command c);

}  // namespace swpt::app

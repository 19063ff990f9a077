#pragma once
// `swpt-stomp run`: the supervisor daemon. One process, one event loop: the
// STOMP server's listeners, one client per queue of every ACTIVE peer and
// drainers for DEACTIVATED peers, reconciled with the node database as it
// changes (docs/daemon.md).

#include "daemon/config.hpp"

#include <functional>

namespace swpt::daemon {

// Runs until SIGTERM or SIGINT: returns 0 after the graceful end (a second
// signal, or timeouts.shutdown, ends what still runs at once), 1 when the
// start failed (logged). On SIGHUP calls `reload`, which loads the
// configuration again and throws config_error for a bad one (the running
// configuration then stays, and the reason is logged).
int run(loaded_config initial, std::function<loaded_config()> reload);

}  // namespace swpt::daemon

#pragma once
// The units a peer supervisor runs, one per queue: a client (the queue's
// messages to the peer's STOMP server) or a drainer (a deactivated peer's
// queue answered on the peer's behalf). Each unit is a loop of attempts
// with a backoff between them (docs/daemon.md "Units"); its state goes to
// the unit_registry.
//
// Thread contract: everything here runs on the daemon's event loop.

#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "core/processing.hpp"
#include "daemon/config.hpp"
#include "daemon/unit_registry.hpp"
#include "log/log.hpp"
#include "nodedata/database.hpp"
#include "session/client.hpp"
#include "session/handshake_gate.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace swpt::daemon {

// What every unit shares with the daemon. Owned by run(); outlives every
// unit.
struct unit_environment {
  asio::any_io_executor ex;
  amqp::consumer_pool& pool;
  amqp::publisher& publisher;
  unit_registry& registry;
  // For rabbitmq-c's blocking calls (a drainer's look at its queue): never
  // the event loop.
  asio::any_io_executor blocking;
  // Replaced on reload: a unit reads it when it starts (its backoff) and at
  // each attempt (settings, timeouts).
  std::shared_ptr<const config> current;
  // The clients' connects and TLS handshakes in progress at once: a start
  // with a thousand peers does not hold a thousand handshakes' buffers
  // together.
  session::handshake_gate& handshakes;
};

// A peer's files as its units use them; a new version replaces the whole.
struct peer_files {
  // The scanner's parsed files, shared rather than copied: with 1,000
  // peers a copy of each peer's certificates and manifest held megabytes.
  std::shared_ptr<const nodedata::peer_data> data;
  peer_context context;
  std::shared_ptr<const session::client_tls> client_tls;  // for clients; null for drainers
  std::uint64_t version = 0;
};

// How a unit's owner ends it or makes it start again; how the unit's
// current attempt hears of it. Owned by the peer supervisor, shared with
// the unit.
class unit_control {
 public:
  explicit unit_control(const asio::any_io_executor& ex);

  // The unit ends once its attempt has ended gracefully: a client takes no
  // more messages and waits up to `grace` for the RECEIPTs of the rest.
  void finish(session::duration grace);
  // The current attempt ends the same way, then the next one starts at
  // once (with the peer's files of then); a backoff is cut short.
  void restart(session::duration grace);
  // Everything ends at once: nothing more is sent; what was not confirmed
  // returns to the queue.
  void abort();

  bool finishing() const noexcept { return finishing_; }
  // Set by a drainer that stopped because its queue was empty: not started
  // again while the peer stays as it is.
  bool drained = false;
  bool aborted() const noexcept { return aborted_; }
  // Counts finish, restart and abort calls: an attempt compares it with
  // the value it began with.
  std::uint64_t requests() const noexcept { return requests_; }

  // The current attempt's ends (set while it runs, cleared after).
  struct attempt_ends {
    std::function<void(session::duration)> graceful;
    std::function<void()> at_once;
  };
  void begin(attempt_ends ends);
  void end() noexcept { ends_ = {}; }

  // Waits `d`, or less if a request comes (true then).
  asio::awaitable<bool> sleep(std::chrono::steady_clock::duration d);

 private:
  void wake();

  asio::steady_timer changed_;  // never expires; cancel() wakes a sleep
  attempt_ends ends_;
  std::uint64_t requests_ = 0;
  session::duration grace_{};  // of finish()
  bool finishing_ = false;
  bool aborted_ = false;
};

// The unit loops until finished or aborted; it removes itself from the
// registry at its end. `files` is read at each attempt and must outlive
// the unit (the peer supervisor's member).
struct unit_spec {
  unit_environment& env;
  const std::shared_ptr<const peer_files>& files;
  std::string peer;
  std::string queue;
  std::shared_ptr<unit_control> control;
};

asio::awaitable<void> run_client_unit(unit_spec spec);
asio::awaitable<void> run_drainer_unit(unit_spec spec);

}  // namespace swpt::daemon

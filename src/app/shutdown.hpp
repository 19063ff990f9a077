#pragma once
// SIGINT and SIGTERM ask a long-running command to end: the first
// gracefully (the server stops accepting and closes its sessions after
// their last RECEIPTs, the client and the drainer stop taking messages and
// finish what is in flight), bounded by shutdown_limit; a second signal, or
// the bound, ends what still runs at once. Either way the command returns
// from main once everything it started has ended.

#include "log/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>

namespace swpt::app {

// How long a graceful end may take after the signal. Below Docker's default
// stop timeout (10 s), after which the process is killed anyway; above the
// sessions' own close timeout (5 s).
inline constexpr std::chrono::seconds shutdown_limit{8};

class termination_signals {
 public:
  // Catches SIGINT and SIGTERM from now on (create it before starting
  // threads or connecting, so that no signal finds the default action).
  // Signals are handled while `io` runs.
  termination_signals(asio::io_context& io, log::logger logger);
  termination_signals(const termination_signals&) = delete;
  termination_signals& operator=(const termination_signals&) = delete;

  // `graceful` is called on the first signal, after `Received SIGTERM
  // signal. Exiting...` has been logged; `at_once` on a second signal or
  // when shutdown_limit has passed since the first, whichever comes first.
  // Each is called at most once.
  void on_signal(std::function<void()> graceful, std::function<void()> at_once);

  bool received() const noexcept { return received_; }

  // Stops catching (the work has ended): nothing of this object is left
  // waiting on `io`.
  void close();

 private:
  void wait();
  void end_at_once(std::string_view why);

  asio::signal_set set_;
  asio::steady_timer limit_;
  log::logger logger_;
  std::function<void()> graceful_, at_once_;
  bool received_ = false;
  bool ended_at_once_ = false;
};

// Runs `io` until `body` (the command's work, which awaits everything it
// started) has completed, and returns its result. An exception of `body`
// is rethrown.
int run_to_end(asio::io_context& io, asio::awaitable<int> body);

}  // namespace swpt::app

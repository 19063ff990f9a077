#pragma once
// SIGINT and SIGTERM ask a long-running command to end gracefully: the
// server stops accepting and closes its sessions, the client and the
// drainer stop taking messages and finish what is in flight. The graceful
// end has a bound, and a second signal cuts it short.

#include "log/log.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <chrono>
#include <functional>
#include <optional>

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

  // Called once, on the first signal, after `Received SIGTERM signal.
  // Exiting...` has been logged. A second signal stops `io` at once.
  void on_signal(std::function<void()> start_graceful_end) { start_graceful_end_ = std::move(start_graceful_end); }

  bool received() const noexcept { return received_at_.has_value(); }

  // Runs `io` until `done()` holds. Once a signal has come, it runs for
  // shutdown_limit more at most. Returns done(): false when it gave up (the
  // limit passed, a second signal, or `io` ran out of work).
  bool run_until(const std::function<bool()>& done);

 private:
  void wait();

  asio::io_context& io_;
  asio::signal_set set_;
  log::logger logger_;
  std::function<void()> start_graceful_end_;
  std::optional<std::chrono::steady_clock::time_point> received_at_;
};

// Ends the process with `status` without running destructors: for when the
// graceful end did not finish, and coroutines still hold references to
// objects on the stack. The broker requeues what was not acknowledged.
[[noreturn]] void exit_now(int status) noexcept;

}  // namespace swpt::app

// The termination signals of the long-running commands: the first asks for
// the graceful end, a second (or the bound) for the end at once, and
// run_to_end returns once the command's work has ended. Signals are raised
// at this process, which the termination_signals object catches.

#include "app/shutdown.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <csignal>

namespace {

using namespace std::chrono_literals;

// Work that ends when `done` is cancelled, returning 7.
asio::awaitable<int> work(asio::steady_timer& done) {
  std::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return 7;
}

}  // namespace

TEST_CASE("the first signal is the graceful end, a second the end at once", "[app][shutdown]") {
  asio::io_context io;
  swpt::app::termination_signals signals{io, swpt::log::logger{"test"}};
  asio::steady_timer done{io, asio::steady_timer::time_point::max()};
  int graceful = 0, at_once = 0;
  signals.on_signal(
      [&] {
        ++graceful;
        std::raise(SIGINT);  // the second
      },
      [&] {
        ++at_once;
        signals.close();
        done.cancel();
      });
  std::raise(SIGTERM);
  CHECK(swpt::app::run_to_end(io, work(done)) == 7);
  CHECK(signals.received());
  CHECK(graceful == 1);
  CHECK(at_once == 1);
}

TEST_CASE("without signals, the command's work ends the run", "[app][shutdown]") {
  asio::io_context io;
  swpt::app::termination_signals signals{io, swpt::log::logger{"test"}};
  asio::steady_timer done{io, 10ms};
  CHECK(swpt::app::run_to_end(io, [](asio::steady_timer& t, swpt::app::termination_signals& s) -> asio::awaitable<int> {
    co_await t.async_wait(asio::use_awaitable);
    s.close();
    co_return 3;
  }(done, signals)) == 3);
  CHECK_FALSE(signals.received());
}

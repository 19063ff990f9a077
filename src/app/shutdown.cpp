#include "app/shutdown.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace swpt::app {
namespace {

std::string_view signal_name(int number) noexcept { return number == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

termination_signals::termination_signals(asio::io_context& io, log::logger logger)
    : io_{io}, set_{io, SIGINT, SIGTERM}, logger_{std::move(logger)} {
  wait();
}

void termination_signals::wait() {
  set_.async_wait([this](const std::error_code& ec, int number) {
    if (ec) return;
    if (received()) {
      logger_.warning("Received {} signal while exiting. Exiting at once.", signal_name(number));
      io_.stop();
      return;
    }
    logger_.warning("Received {} signal. Exiting...", signal_name(number));
    received_at_ = std::chrono::steady_clock::now();
    wait();
    if (start_graceful_end_) start_graceful_end_();
  });
}

bool termination_signals::run_until(const std::function<bool()>& done) {
  while (!done() && !io_.stopped()) {
    if (received_at_) {
      const auto deadline = *received_at_ + shutdown_limit;
      if (std::chrono::steady_clock::now() >= deadline) break;
      io_.run_one_until(deadline);
    } else {
      io_.run_one();
    }
  }
  return done();
}

void exit_now(int status) noexcept {
  std::fflush(stdout);
  std::_Exit(status);
}

}  // namespace swpt::app

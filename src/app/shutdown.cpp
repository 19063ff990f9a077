#include "app/shutdown.hpp"

#include "app/options.hpp"

#include <asio/co_spawn.hpp>

#include <csignal>
#include <exception>
#include <optional>
#include <string_view>

namespace swpt::app {
namespace {

std::string_view signal_name(int number) noexcept { return number == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

termination_signals::termination_signals(asio::io_context& io, log::logger logger)
    : set_{io, SIGINT, SIGTERM}, limit_{io}, logger_{std::move(logger)} {
  wait();
}

void termination_signals::on_signal(std::function<void()> graceful, std::function<void()> at_once) {
  graceful_ = std::move(graceful);
  at_once_ = std::move(at_once);
}

void termination_signals::wait() {
  set_.async_wait([this](const std::error_code& ec, int number) {
    if (ec) return;
    if (received_) {
      logger_.warning("Received {} signal while exiting. Exiting at once.", signal_name(number));
      return end_at_once("");
    }
    logger_.warning("Received {} signal. Exiting...", signal_name(number));
    received_ = true;
    wait();
    limit_.expires_after(shutdown_limit);
    limit_.async_wait([this](std::error_code timer_ec) {
      if (!timer_ec) end_at_once("The graceful end takes too long. Exiting at once.");
    });
    if (graceful_) graceful_();
  });
}

void termination_signals::end_at_once(std::string_view why) {
  if (std::exchange(ended_at_once_, true)) return;
  if (!why.empty()) logger_.warning("{}", why);
  if (at_once_) at_once_();
}

void termination_signals::close() {
  std::error_code ignored;
  set_.cancel(ignored);
  limit_.cancel();
}

int run_to_end(asio::io_context& io, asio::awaitable<int> body) {
  std::optional<int> status;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(body), [&](std::exception_ptr e, int result) {
    failure = e;
    status = result;
  });
  // Not run(): the AMQP workers keep `io` busy while their objects live.
  while (!status && io.run_one() > 0) {
  }
  if (failure) std::rethrow_exception(failure);
  return status.value_or(exit_failure);  // `io` ran out of work: cannot happen while `body` waits
}

}  // namespace swpt::app

#pragma once
// The STOMP server's message sink: publishes to the owner's *_in exchange
// with publisher confirms, on a connection that lives on a thread of its
// own and reconnects by itself after the broker went away.
//
// A message counts as stored only on basic.ack. basic.nack, basic.return
// (mandatory: nothing is bound for its routing key), no confirmation within
// the timeout, or a lost connection fail it; while the broker is
// unreachable every message fails at once, so a peer gets an ERROR, never a
// false RECEIPT.

#include "amqp/connection.hpp"
#include "log/log.hpp"
#include "session/interfaces.hpp"

#include <asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

namespace swpt::amqp {

struct publisher_settings {
  connection_settings connection;
  std::chrono::milliseconds confirmation_timeout = 20s;  // APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS
  // Messages handed over but not yet published; submit() waits beyond this.
  std::size_t capacity = 100;
  // Reconnection delays: doubling from min to max while the broker is away.
  std::chrono::milliseconds min_backoff = 500ms, max_backoff = 5s;
};

class publisher final : public session::message_sink {
 public:
  // Starts the worker thread, which connects at once. `ex` is where submit()
  // runs (the sessions' io_context).
  publisher(asio::any_io_executor ex, publisher_settings settings,
            log::logger logger = log::logger{"swpt_stomp.rmq"});
  // Fails what is still pending with errc::stopped and joins the thread.
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  asio::awaitable<void> submit(publication message, confirm_handler confirmed) override;

  // Whether the worker holds an open connection right now.
  bool connected() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swpt::amqp

#pragma once
// The STOMP server's (and the drainer's) message sink: publishes to the
// owner's *_in exchange with publisher confirms, on a broker worker of its
// own (publishing never shares a connection with consuming), which
// reconnects by itself after the broker went away.
//
// A message counts as stored only on basic.ack. basic.nack, basic.return
// (mandatory: nothing is bound for its routing key), no confirmation within
// the timeout, or a lost connection fail it; while the broker is
// unreachable or blocks publishers (a resource alarm) every message fails
// at once, so a peer gets an ERROR, never a false RECEIPT. The worker never
// waits for a socket the broker does not read: messages stay queued (and
// submit() waits) until there is room, while the confirmation deadlines and
// the heartbeats keep running.

#include "amqp/connection.hpp"
#include "amqp/worker.hpp"
#include "log/log.hpp"
#include "session/interfaces.hpp"

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace swpt::amqp {

struct publisher_settings {
  connection_settings connection;
  std::chrono::milliseconds confirmation_timeout = 20s;  // APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS
  // Messages handed over but not yet published; submit() waits beyond this.
  std::size_t capacity = 100;
  // Reconnection delays (see worker_settings).
  std::chrono::milliseconds min_backoff = 500ms, max_backoff = 5s;
  // The worker runs on the publisher's executor rather than on a thread of
  // its own (broker_worker::start_inline): for a process with one
  // io_context thread. stop() is then to be awaited there.
  bool inline_worker = false;
};

class publisher final : public session::message_sink {
 public:
  // Starts the worker, which connects at once. `ex` is where submit() runs
  // (the sessions' io_context).
  publisher(asio::any_io_executor ex, publisher_settings settings,
            log::logger logger = log::logger{"swpt_stomp.rmq"});
  // Fails what is still pending with errc::stopped and ends the worker
  // (bounded: see broker_worker).
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Safe to outlive the publisher: a submission waiting for room when it
  // goes is answered with errc::stopped.
  asio::awaitable<void> submit(publication message, confirm_handler confirmed) override;

  // The same as the destructor, without blocking the caller's thread.
  asio::awaitable<void> stop();

  // Whether the worker holds an open, confirming channel right now.
  bool connected() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
  std::shared_ptr<broker_worker> worker_;
};

}  // namespace swpt::amqp

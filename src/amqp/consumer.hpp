#pragma once
// The STOMP client's message source: consumes one queue of the owner's
// broker on a thread of its own. Each delivery is checked and translated for
// the peer on that thread (the `prepare` function), queued for the session
// and sent with the delivery tag as its receipt; a RECEIPT acknowledges its
// tag and every earlier one (basic.ack, multiple). The prefetch count bounds
// the messages in memory.
//
// A delivery that can never be sent (invalid JSON, wrong type, an ID
// outside the subnets) is rejected without requeue, so that the broker moves
// it to the queue's dead-letter queue `<queue>.XQ`, and logged; the stream
// goes on with the next one.

#include "amqp/connection.hpp"
#include "core/result.hpp"
#include "log/log.hpp"
#include "session/interfaces.hpp"

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace swpt::amqp {

struct consumer_settings {
  connection_settings connection;
  std::string queue;
  std::uint16_t prefetch = 100;  // SWPT_CLIENT_BUFFER
};

// Turns a delivery into the body to send, or says why it cannot be sent.
// Called on the consumer's thread.
using prepare_function = std::function<result<std::string>(const content& delivery)>;

class consumer final : public session::message_source {
 public:
  // Starts the worker thread, which connects and starts consuming at once.
  consumer(asio::any_io_executor ex, consumer_settings settings, prepare_function prepare,
           log::logger logger = log::logger{"swpt_stomp.rmq"});
  // Sends the acknowledgements still due, closes the connection (the broker
  // requeues what was not acknowledged) and joins the thread.
  ~consumer() override;
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Throws amqp::error once the consumer has failed (connection lost, queue
  // missing or deleted); nullopt after finish().
  asio::awaitable<std::optional<session::outgoing_message>> next() override;
  std::optional<session::outgoing_message> try_next() override;

  // Acknowledges the delivery with this tag and every earlier one. An id
  // that is not a delivery tag is logged and ignored.
  void confirm(std::string_view id) override;

  // Stops handing out messages: next() returns nullopt from now on, so the
  // session ends gracefully. Acknowledgements still go through.
  void finish();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swpt::amqp

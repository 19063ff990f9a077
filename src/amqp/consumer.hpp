#pragma once
// The STOMP client's message source: consumes one queue through one channel
// of a consumer_pool's worker, with the queue's own prefetch count. Each
// delivery is checked and translated for the peer on the worker thread (the
// `prepare` function), queued for the session and sent with the delivery
// tag as its receipt; a RECEIPT acknowledges its tag and every earlier one
// (basic.ack, multiple). The prefetch count bounds the messages in memory.
//
// A delivery that can never be sent (invalid JSON, wrong type, an ID
// outside the subnets) is rejected without requeue, so that the broker moves
// it to the queue's dead-letter queue `<queue>.XQ`, and logged; the stream
// goes on with the next one.
//
// When the worker's connection is lost, the broker requeues what was not
// acknowledged: next() throws once (the session ends, receipts still on
// their way are ignored), and the consumer starts again by itself once the
// worker has reconnected.

#include "amqp/connection.hpp"
#include "amqp/consumer_pool.hpp"
#include "core/result.hpp"
#include "log/log.hpp"
#include "session/interfaces.hpp"

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace swpt::amqp {

struct consumer_settings {
  std::string queue;
  std::uint16_t prefetch = 100;  // SWPT_CLIENT_BUFFER
  // basic.consume exclusive: while another consumer holds the queue, this
  // one stands by and asks again after about `standby_retry` (jittered).
  bool exclusive = false;
  std::chrono::milliseconds standby_retry = 2s;
  // Fail for good when the worker's connection cannot be made or is lost,
  // rather than wait for the reconnection: for a process that its
  // supervisor restarts (swpt-client, swpt-drainer).
  bool fail_on_disconnect = false;
};

enum class consumer_state {
  starting,   // waiting for the connection, the channel or basic.consume-ok
  consuming,  // deliveries flow
  standby,    // exclusive, and another consumer holds the queue
  failed,     // for good: the queue is missing or was deleted, ...
  stopped,    // stop() or the pool ended
};

struct consumer_status {
  consumer_state state = consumer_state::starting;
  std::string reason;  // why it failed, or the last connection problem
};

// Turns a delivery into the body to send, or says why it cannot be sent.
// Called on the worker thread.
using prepare_function = std::function<result<std::string>(const content& delivery)>;
// A client's (and a drainer's) check and translation of a message for the
// peer, as docs/message-processing.md §8 says.
prepare_function prepare_for(peer_context peering);

// The basic.qos prefetch count for a client buffer: RabbitMQ takes 1 to 65535.
std::uint16_t prefetch_count(std::size_t buffer) noexcept;

class consumer final : public session::message_source {
 public:
  // Takes a channel of the pool at once (throws amqp::error when the pool
  // is full); consuming starts as soon as the worker is connected. `ex` is
  // where next() runs.
  consumer(consumer_pool& pool, asio::any_io_executor ex, consumer_settings settings, prepare_function prepare,
           log::logger logger = log::logger{"swpt_stomp.rmq"});
  // Starts stop() without waiting for it.
  ~consumer() override;
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Throws amqp::error once the consumer has failed (queue missing or
  // deleted), or once after the connection was lost; nullopt after finish().
  asio::awaitable<std::optional<session::outgoing_message>> next() override;
  std::optional<session::outgoing_message> try_next() override;

  // Acknowledges the delivery with this tag and every earlier one. An id
  // that is not a delivery tag is logged and ignored.
  void confirm(std::string_view id) override;

  // Stops handing out messages: next() returns nullopt from now on, so the
  // session ends gracefully. Acknowledgements still go through.
  void finish();

  // Sends the acknowledgements still due and closes the channel (the broker
  // requeues what was not acknowledged); completes once the broker has
  // closed it or the connection is gone.
  asio::awaitable<void> stop();

  // From any thread.
  consumer_status status() const;

 private:
  struct channel;
  std::shared_ptr<channel> channel_;
  std::shared_ptr<broker_worker> worker_;
};

}  // namespace swpt::amqp

#pragma once
// A small pool of broker workers that serves the consumers of any number of
// queues: each consumer gets one channel on the least loaded connection, and
// a new connection opens only when every one has its `max_channels`
// channels. Consuming and publishing never share a connection (a publisher
// that a resource alarm blocks must not stop the acknowledgements).
//
// Thread-safe. Consumers must end before the pool, and the pool before the
// io_context their next() runs on (the workers hold the consumers' queues
// of deliveries, which live on that io_context, until they end).

#include "amqp/worker.hpp"
#include "log/log.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace swpt::amqp {

struct pool_settings {
  // Each connection's: its name gets " #<n>", and `max_channels` is how
  // many consumers one connection serves.
  worker_settings worker;
  std::size_t connections = 8;  // at most, opened as needed
  // When set, the workers run on this executor rather than on threads of
  // their own (broker_worker::start_inline): for a process that serves one
  // queue on one io_context thread. stop() is then to be awaited there.
  asio::any_io_executor inline_executor{};
};

class consumer_pool {
 public:
  explicit consumer_pool(pool_settings settings, log::logger logger = log::logger{"swpt_stomp.rmq"});
  // Stops every worker (bounded, see broker_worker).
  ~consumer_pool();
  consumer_pool(const consumer_pool&) = delete;
  consumer_pool& operator=(const consumer_pool&) = delete;

  // A channel for `user` on some worker. Throws amqp::error when every
  // connection is full.
  std::shared_ptr<broker_worker> attach(std::shared_ptr<channel_user> user);

  // Stops every worker; completes when their threads are done.
  asio::awaitable<void> stop();

  std::size_t connection_count() const;

 private:
  const pool_settings settings_;
  log::logger logger_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<broker_worker>> workers_;  // guarded by mutex_
};

}  // namespace swpt::amqp

#pragma once
// What the AMQP tests share: the test broker (SWPT_TEST_BROKER_URL, set by
// scripts/test), unique object names, bounded waits, and the two modes of
// broker_worker.
//
// A case that runs in both modes starts with
//   const bool inline_worker = GENERATE(false, true);
//   CAPTURE(inline_worker);
// and builds its pools and publishers with it: a worker of its own thread
// (the daemon's), or inline on the case's io_context (the upstream
// commands'). An inline worker ends on that io_context, so the case stops
// it there (stop() below) and then checks that nothing of it is left
// (runs_out()).

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace swpt::amqp::testing {

using namespace std::chrono_literals;

broker_url test_broker();  // fails the test when the variable is missing
connection_settings settings_for(broker_url url);
// A pool for the tests' consumers: short reconnection delays.
pool_settings pool_for(broker_url url, std::string name = "swpt-stomp tests");
// The same, its workers inline on `io` when `inline_worker` holds.
pool_settings pool_for(broker_url url, asio::io_context& io, bool inline_worker,
                       std::string name = "swpt-stomp tests");
// A publisher's settings, its worker inline when `inline_worker` holds.
publisher_settings publisher_for(connection_settings connection, std::chrono::milliseconds confirmation_timeout,
                                 std::size_t capacity, bool inline_worker);

// The test broker's node (SWPT_TEST_BROKER_NODE, default swpt-test) and
// rabbitmqctl for it: the exit status, and what it printed.
std::string broker_node();
int rabbitmqctl(const std::string& arguments, std::string* output = nullptr);
// The broker's connections whose name contains `prefix`, as "<pid>"
// strings for close_connection.
std::vector<std::string> connections_named(std::string_view prefix);

// Runs consumer::stop(), consumer_pool::stop() or publisher::stop() to its
// end on `io` (bounded), as a process does before its io_context goes.
void stop(asio::io_context& io, consumer& c);
void stop(asio::io_context& io, consumer_pool& pool);
void stop(asio::io_context& io, publisher& p);

// Runs `io` until no work is left (true) or `limit` passes (false): after
// stop(), nothing of a worker (an inline one's coroutine, timers, a
// connection attempt) may outlive it.
bool runs_out(asio::io_context& io, std::chrono::seconds limit = 10s);

// `prefix` + a random suffix: tests never meet each other's objects.
std::string unique(std::string_view prefix);

// Runs `io` until `done` holds or `limit` passes. Work from other threads
// (the workers' confirmations) keeps it waiting rather than returning.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit = 20s);

// Consumes and acknowledges `expected` messages of `queue` (fewer if they
// do not come within 20 s).
std::vector<content> take_all(connection& c, std::string_view queue, std::size_t expected);

}  // namespace swpt::amqp::testing

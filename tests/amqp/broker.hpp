#pragma once
// What the AMQP tests share: the test broker (SWPT_TEST_BROKER_URL, set by
// scripts/test), unique object names, and bounded waits.

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"

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

// The test broker's node (SWPT_TEST_BROKER_NODE, default swpt-test) and
// rabbitmqctl for it: the exit status, and what it printed.
std::string broker_node();
int rabbitmqctl(const std::string& arguments, std::string* output = nullptr);
// The broker's connections whose name contains `prefix`, as "<pid>"
// strings for close_connection.
std::vector<std::string> connections_named(std::string_view prefix);

// Runs consumer::stop() to its end (bounded).
void stop(asio::io_context& io, consumer& c);

// `prefix` + a random suffix: tests never meet each other's objects.
std::string unique(std::string_view prefix);

// Runs `io` until `done` holds or `limit` passes. Work from other threads
// (the workers' confirmations) keeps it waiting rather than returning.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit = 20s);

// Consumes and acknowledges `expected` messages of `queue` (fewer if they
// do not come within 20 s).
std::vector<content> take_all(connection& c, std::string_view queue, std::size_t expected);

}  // namespace swpt::amqp::testing

#pragma once
// What the AMQP tests share: the test broker (SWPT_TEST_BROKER_URL, set by
// scripts/test), unique object names, and bounded waits.

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"

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

// `prefix` + a random suffix: tests never meet each other's objects.
std::string unique(std::string_view prefix);

// Runs `io` until `done` holds or `limit` passes. Work from other threads
// (the workers' confirmations) keeps it waiting rather than returning.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit = 20s);

// Consumes and acknowledges `expected` messages of `queue` (fewer if they
// do not come within 20 s).
std::vector<content> take_all(connection& c, std::string_view queue, std::size_t expected);

}  // namespace swpt::amqp::testing

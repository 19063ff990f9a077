#include "broker.hpp"

#include <asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <random>

namespace swpt::amqp::testing {

broker_url test_broker() {
  const char* url = std::getenv("SWPT_TEST_BROKER_URL");
  if (url == nullptr) FAIL("SWPT_TEST_BROKER_URL is not set: run the tests with scripts/test");
  return broker_url::parse(url);
}

connection_settings settings_for(broker_url url) {
  connection_settings s;
  s.url = std::move(url);
  s.timeout = 5s;
  s.name = "swpt-stomp tests";
  return s;
}

std::string unique(std::string_view prefix) {
  static std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{}.{:016x}", prefix, random());
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit) {
  // A context whose work ran out (an earlier run_until's guard was the
  // last) is stopped, and would run nothing.
  if (io.stopped()) io.restart();
  auto guard = asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(50ms);
  }
  return true;
}

std::vector<content> take_all(connection& c, std::string_view queue, std::size_t expected) {
  c.consume(queue);
  std::vector<content> out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto frame = c.poll(100ms);
    if (frame && frame->frame_type == AMQP_FRAME_METHOD && frame->payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
      out.push_back(c.read_content(*frame));
      c.ack(out.back().delivery_tag, false);
    }
  }
  return out;
}

}  // namespace swpt::amqp::testing

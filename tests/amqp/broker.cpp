#include "broker.hpp"

#include <asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <asio/co_spawn.hpp>

#include <cstdio>
#include <cstdlib>
#include <sstream>
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

pool_settings pool_for(broker_url url, std::string name) {
  pool_settings s;
  s.worker.connection = settings_for(std::move(url));
  s.worker.connection.name = std::move(name);
  s.worker.min_backoff = 100ms;
  s.worker.max_backoff = 1s;
  return s;
}

pool_settings pool_for(broker_url url, asio::io_context& io, bool inline_worker, std::string name) {
  auto s = pool_for(std::move(url), std::move(name));
  if (inline_worker) s.inline_executor = io.get_executor();
  return s;
}

publisher_settings publisher_for(connection_settings connection, std::chrono::milliseconds confirmation_timeout,
                                 std::size_t capacity, bool inline_worker) {
  publisher_settings s{std::move(connection), confirmation_timeout, capacity};
  s.inline_worker = inline_worker;
  return s;
}

std::string broker_node() {
  const char* node = std::getenv("SWPT_TEST_BROKER_NODE");
  return node != nullptr && *node != '\0' ? node : "swpt-test";
}

int rabbitmqctl(const std::string& arguments, std::string* output) {
  const char* run_dir = std::getenv("SWPT_RUN_DIR");
  const auto node = broker_node();
  // As scripts/rabbitmq runs it: HOME holds the node's Erlang cookie.
  const auto command =
      fmt::format("HOME='{}/rabbitmq-{}' timeout 60 /usr/lib/rabbitmq/bin/rabbitmqctl -q -n '{}@localhost' {} 2>&1",
                  run_dir != nullptr ? run_dir : "/tmp/swpt-stomp", node, node, arguments);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
  const int status = ::pclose(pipe);
  if (output != nullptr) *output = std::move(text);
  return status;
}

std::vector<std::string> connections_named(std::string_view prefix) {
  std::string listing;
  // The name a client gives itself is in its client properties.
  if (rabbitmqctl("list_connections --no-table-headers pid client_properties", &listing) != 0) {
    FAIL("rabbitmqctl list_connections: " << listing);
  }
  std::vector<std::string> pids;
  std::istringstream lines{listing};
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos && std::string_view{line}.substr(tab + 1).find(prefix) != std::string_view::npos) {
      pids.push_back(line.substr(0, tab));
    }
  }
  return pids;
}

namespace {

void run_to_end(asio::io_context& io, asio::awaitable<void> stopping) {
  bool done = false;
  asio::co_spawn(io, std::move(stopping), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }, 10s));
}

}  // namespace

void stop(asio::io_context& io, consumer& c) { run_to_end(io, c.stop()); }
void stop(asio::io_context& io, consumer_pool& pool) { run_to_end(io, pool.stop()); }
void stop(asio::io_context& io, publisher& p) { run_to_end(io, p.stop()); }

bool runs_out(asio::io_context& io, std::chrono::seconds limit) {
  io.restart();
  io.run_for(limit);
  return io.stopped();
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
    if (io.run_one_for(50ms) == 0) continue;
    // And what is ready by now, for a while: a check that blocks (rabbitmqctl)
    // would otherwise let a worker inline on `io` take one step per check,
    // where a worker thread goes on meanwhile.
    const auto slice = std::chrono::steady_clock::now() + 50ms;
    while (std::chrono::steady_clock::now() < slice && io.poll_one() > 0) {
    }
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

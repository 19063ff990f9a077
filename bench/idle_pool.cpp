// idle_pool: what idle queues cost on the consumer pool. Declares COUNT
// queues, consumes each with its own consumer (prefetch 100) through one
// pool, waits until every consumer is consuming, then watches the idle
// process for SECONDS and prints its threads, the pool's broker
// connections, its resident memory and the share of one core it used.
// Deletes the queues at the end. Numbers, not a test.
//
//   idle_pool AMQP_URL [COUNT [SECONDS]]

#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"

#include <asio/io_context.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace swpt;

std::size_t threads() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& t : std::filesystem::directory_iterator{"/proc/self/task"}) ++n;
  return n;
}

long rss_kib() {
  std::ifstream status{"/proc/self/status"};
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::chrono::microseconds cpu_time() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return std::chrono::seconds{u.ru_utime.tv_sec + u.ru_stime.tv_sec} +
         std::chrono::microseconds{u.ru_utime.tv_usec + u.ru_stime.tv_usec};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: idle_pool AMQP_URL [COUNT [SECONDS]]\n");
    return 2;
  }
  const int count = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  amqp::connection_settings settings;
  settings.url = amqp::broker_url::parse(argv[1]);
  settings.name = "swpt-bench idle_pool";

  const auto prefix = fmt::format("bench.idle.{:08x}", std::random_device{}());
  std::vector<std::string> queues;
  {
    amqp::connection admin{settings};
    for (int i = 0; i < count; ++i) admin.declare_queue(queues.emplace_back(fmt::format("{}.{}", prefix, i)));
  }

  asio::io_context io;
  amqp::pool_settings pooled;
  pooled.worker.connection = settings;
  amqp::consumer_pool pool{pooled, log::logger{"bench"}};
  std::vector<std::unique_ptr<amqp::consumer>> consumers;
  for (const auto& q : queues) {
    consumers.push_back(std::make_unique<amqp::consumer>(
        pool, io.get_executor(), amqp::consumer_settings{q, 100},
        [](const amqp::content& c) -> result<std::string> { return c.body; }, log::logger{"bench"}));
  }
  const auto started = std::chrono::steady_clock::now();
  auto consuming = [&] {
    return std::all_of(consumers.begin(), consumers.end(),
                       [](auto& c) { return c->status().state == amqp::consumer_state::consuming; });
  };
  // Nothing runs on `io` (no message arrives): the consumers are watched from here.
  while (!consuming() && std::chrono::steady_clock::now() - started < 120s) std::this_thread::sleep_for(50ms);
  const auto ready = std::chrono::steady_clock::now() - started;

  const auto cpu_before = cpu_time();
  const auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds{seconds});
  const auto cpu = cpu_time() - cpu_before;
  const auto wall = std::chrono::steady_clock::now() - wall_before;

  fmt::print("queues {}  all consuming: {}  after {} ms\n", count, consuming(),
             std::chrono::duration_cast<std::chrono::milliseconds>(ready).count());
  fmt::print("threads {}  broker connections {}  RSS {} KiB  idle CPU {:.3f}% of a core over {} s\n", threads(),
             pool.connection_count(), rss_kib(),
             100.0 * static_cast<double>(cpu.count()) /
                 static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(wall).count()),
             seconds);

  consumers.clear();
  amqp::connection admin{settings};
  for (const auto& q : queues) admin.delete_queue(q);
  return 0;
}

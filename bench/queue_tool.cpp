// queue_tool: the broker chores of bench/e2e, on amqp::connection.
//
//   queue_tool declare-sink URL EXCHANGE QUEUE
//       a durable topic exchange and a durable queue bound to it with `#`
//   queue_tool fill URL EXCHANGE ROUTING_KEY N [--mix MIX]
//       N PrepareTransfer messages (bench_messages.hpp), confirmed;
//       EXCHANGE "" is the default exchange (ROUTING_KEY = a queue name);
//       ROUTING_KEY "-": each message's key as the sender's application
//       gives it; MIX ca-aa or aa-ca: the message types of that direction
//       instead (bench_messages.cpp has the proportions); prints
//       "filled N messages in T s: TYPE COUNT ..."
//   queue_tool count URL QUEUE
//       prints the number of ready messages
//   queue_tool delete URL queue:NAME|exchange:NAME...
//       deletes what exists of these
//   queue_tool wait N SINK_URL SINK SOURCE_URL SOURCE [TIMEOUT_SECONDS]
//       connects, prints "ready", then looks every 5 ms until SINK holds at
//       least N ready messages and SOURCE none; prints
//       "done <CLOCK_MONOTONIC seconds> <sink count> <source count> <first>"
//       (exit 0; <first>: when the sink was first seen non-empty), or "timeout <sink count> <source count>" (exit 3).

#include "bench_messages.hpp"

#include "amqp/connection.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace swpt;
using namespace std::chrono_literals;

constexpr std::string_view usage =
    "usage: queue_tool declare-sink URL EXCHANGE QUEUE\n"
    "       queue_tool fill URL EXCHANGE ROUTING_KEY|- N [--mix prepare-transfer|ca-aa|aa-ca]\n"
    "       queue_tool count URL QUEUE\n"
    "       queue_tool delete URL queue:NAME|exchange:NAME...\n"
    "       queue_tool wait N SINK_URL SINK SOURCE_URL SOURCE [TIMEOUT_SECONDS]\n";

amqp::connection_settings settings(std::string_view url) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(url);
  s.name = "swpt-bench queue_tool";
  return s;
}

double monotonic_seconds() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

int wait_for(const std::vector<std::string>& a) {
  const auto n = bench::parse_count(a[0], "N");
  amqp::connection sink{settings(a[1])};
  amqp::connection source{settings(a[3])};
  const auto timeout = a.size() > 5 ? std::chrono::seconds{bench::parse_count(a[5], "TIMEOUT_SECONDS")} : 600s;
  std::fputs("ready\n", stdout);
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint32_t in_sink = 0, in_source = 0;
  double first = 0;  // when the sink was first seen holding a message
  while (std::chrono::steady_clock::now() < deadline) {
    in_sink = sink.declare_queue(a[2], {}, /*passive=*/true);
    if (in_sink > 0 && first == 0) first = monotonic_seconds();
    if (in_sink >= n) {
      in_source = source.declare_queue(a[4], {}, /*passive=*/true);
      if (in_source == 0) {
        fmt::print("done {:.6f} {} {} {:.6f}\n", monotonic_seconds(), in_sink, in_source, first);
        return 0;
      }
    }
    std::this_thread::sleep_for(5ms);
  }
  in_source = source.declare_queue(a[4], {}, /*passive=*/true);
  fmt::print("timeout {} {}\n", in_sink, in_source);
  return 3;
}

int run(const std::vector<std::string>& args) {
  if (args.empty()) throw std::invalid_argument{"no command"};
  const std::string& cmd = args[0];
  const std::vector<std::string> a(args.begin() + 1, args.end());
  if (cmd == "declare-sink" && a.size() == 3) {
    amqp::connection c{settings(a[0])};
    c.declare_exchange(a[1], "topic");
    c.declare_queue(a[2]);
    c.bind_queue(a[2], a[1], "#");
    return 0;
  }
  if (cmd == "fill" && (a.size() == 4 || (a.size() == 6 && a[4] == "--mix"))) {
    const auto n = bench::parse_count(a[3], "N");
    const auto mix = a.size() == 6 ? bench::parse_mix(a[5]) : bench::mix::prepare_transfer;
    std::optional<std::string_view> routing_key;
    if (a[2] != "-") routing_key = a[2];
    amqp::connection c{settings(a[0])};
    const auto start = std::chrono::steady_clock::now();
    const auto types = bench::fill(c, a[1], routing_key, n, mix);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    fmt::print("filled {} messages in {:.2f} s:", n, took.count());
    for (const auto& [type, count] : types) fmt::print(" {} {}", type, count);
    fmt::print("\n");
    return 0;
  }
  if (cmd == "count" && a.size() == 2) {
    amqp::connection c{settings(a[0])};
    fmt::print("{}\n", c.declare_queue(a[1], {}, /*passive=*/true));
    return 0;
  }
  if (cmd == "delete" && !a.empty()) {
    amqp::connection c{settings(a[0])};
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string_view what = a[i];
      // A delete of something that does not exist succeeds in RabbitMQ 3.x.
      if (what.starts_with("queue:")) {
        c.delete_queue(what.substr(6));
      } else if (what.starts_with("exchange:")) {
        c.delete_exchange(what.substr(9));
      } else {
        throw std::invalid_argument{fmt::format("not queue:NAME or exchange:NAME: {}", what)};
      }
    }
    return 0;
  }
  if (cmd == "wait" && (a.size() == 5 || a.size() == 6)) return wait_for(a);
  throw std::invalid_argument{fmt::format("bad command or arguments: {}", cmd)};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run({argv + 1, argv + argc});
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "queue_tool: {}\n{}", e.what(), usage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "queue_tool: {}\n", e.what());
    return 1;
  }
}

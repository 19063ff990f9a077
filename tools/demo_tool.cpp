// swpt-demo-tool: the node applications' side of scripts/demo, on
// amqp::connection. It knows the IDs of the swpt-gen-nodedata trio: the
// accounting authority 1234abcd, a creditors agent numbering its creditors
// in 000008 (000001 to the AA), a debtors agent with debtors 1234abcd00.
//
//   swpt-demo-tool inbox URL EXCHANGE QUEUE
//       the node's inbound exchange (durable topic) and a queue bound to
//       it with `#`, as the node's applications would declare them
//   swpt-demo-tool send URL FLOW N
//       N messages of FLOW (ca-aa, aa-ca, da-aa or aa-da: sender-receiver)
//       published as the sender's applications publish them
//       (docs/rabbitmq-topology.md §2), confirmed; prints each
//   swpt-demo-tool print URL QUEUE LABEL
//       consumes QUEUE and prints "LABEL <- TYPE BODY" for each message,
//       until the process is ended or the queue goes

#include "amqp/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace swpt;
using namespace std::chrono_literals;

constexpr std::string_view usage =
    "usage: swpt-demo-tool inbox URL EXCHANGE QUEUE\n"
    "       swpt-demo-tool send URL ca-aa|aa-ca|da-aa|aa-da N\n"
    "       swpt-demo-tool print URL QUEUE LABEL\n";

constexpr std::int64_t debtor = 0x1234abcd00000001;              // the AA's first debtor, in the DA's subnet
constexpr std::int64_t ca_own_creditor = 0x0000080000000001;     // the CA's numbering (000008)
constexpr std::int64_t ca_masq_creditor = 0x0000010000000001;    // the same creditors as the AA sees them (000001)

struct demo_message {
  std::string_view type;
  std::int64_t creditor_id;
  std::int64_t debtor_id;
  std::string body;
};

// An ID as the node applications' routing keys write it: its 8 bytes in
// hex, most significant first, joined by dots.
std::string dotted(std::int64_t id) {
  const auto u = static_cast<std::uint64_t>(id);
  std::string key;
  for (int shift = 56; shift >= 0; shift -= 8) {
    if (!key.empty()) key += '.';
    key += fmt::format("{:02x}", (u >> shift) & 0xffu);
  }
  return key;
}

std::string now() {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+00:00", &utc);
  return text;
}

// Message n (from 0) of a flow: "in" types from an agent, "out" types from
// the accounting authority, alternating between two of them.
demo_message make(std::string_view flow, int n, const std::string& ts) {
  const bool from_agent = flow == "ca-aa" || flow == "da-aa";
  const std::int64_t creditor = flow == "ca-aa" ? ca_own_creditor + n : flow == "aa-ca" ? ca_masq_creditor + n : 0;
  const std::int64_t debtor_id = flow.ends_with("da") || flow.starts_with("da") ? debtor + n : debtor;
  demo_message m{"", creditor, debtor_id, ""};
  const auto ids = fmt::format(R"("debtor_id": {}, "creditor_id": {})", debtor_id, creditor);
  if (from_agent) {
    m.type = "ConfigureAccount";
    m.body = fmt::format(R"({{"type": "ConfigureAccount", {}, "negligible_amount": 0.0, "config_data": "", )"
                         R"("config_flags": 0, "seqnum": {}, "ts": "{}"}})",
                         ids, n + 1, ts);
  } else if (n % 2 == 0) {
    m.type = "AccountPurge";
    m.body = fmt::format(R"({{"type": "AccountPurge", {}, "creation_date": "2024-01-01", "ts": "{}"}})", ids, ts);
  } else {
    m.type = "RejectedConfig";
    m.body = fmt::format(R"({{"type": "RejectedConfig", {}, "config_ts": "{}", "config_seqnum": {}, )"
                         R"("config_flags": 0, "config_data": "", "negligible_amount": 0.0, )"
                         R"("rejection_code": "DEMO", "ts": "{}"}})",
                         ids, ts, n, ts);
  }
  return m;
}

// Where the sender's applications publish a flow's messages, and with
// which routing key (docs/rabbitmq-topology.md §2).
std::pair<std::string_view, std::string> destination(std::string_view flow, const demo_message& m) {
  if (flow == "ca-aa") return {"creditors_out", dotted(m.debtor_id)};
  if (flow == "aa-ca") return {"to_creditors", dotted(m.creditor_id)};
  if (flow == "da-aa") return {"debtors_out", ""};
  return {"to_debtors", dotted(m.debtor_id)};
}

amqp::connection_settings settings(std::string_view url) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(url);
  s.name = "swpt-demo-tool";
  return s;
}

int send(std::string_view url, std::string_view flow, int count) {
  amqp::connection c{settings(url)};
  c.enable_confirms();
  const std::string ts = now();
  for (int n = 0; n < count; ++n) {
    const auto m = make(flow, n, ts);
    const auto [exchange, key] = destination(flow, m);
    c.publish(exchange, key, {"application/json", m.type, nullptr}, m.body, /*mandatory=*/true);
    fmt::print("  queued {} {}\n", m.type, m.body);
  }
  for (int confirmed = 0; confirmed < count;) {
    const auto frame = c.poll(30s);
    if (!frame) throw amqp::error{"no confirmation from the broker in 30 s"};
    if (frame->frame_type != AMQP_FRAME_METHOD) continue;
    switch (frame->payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* ack = static_cast<const amqp_basic_ack_t*>(frame->payload.method.decoded);
        confirmed = ack->multiple != 0 ? static_cast<int>(ack->delivery_tag) : confirmed + 1;
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
        throw amqp::error{"a message was returned: no queue is bound for it (run configure-queue first)"};
      case AMQP_BASIC_NACK_METHOD:
        throw amqp::error{"the broker refused a message"};
      default:
        break;
    }
    c.release_buffers();
  }
  std::fflush(stdout);
  return 0;
}

int print(std::string_view url, std::string_view queue, std::string_view label) {
  amqp::connection c{settings(url)};
  c.set_prefetch(100);
  c.consume(queue);
  for (;;) {
    const auto frame = c.poll(1s);
    if (!frame || frame->frame_type != AMQP_FRAME_METHOD) continue;
    if (frame->payload.method.id == AMQP_BASIC_CANCEL_METHOD) throw amqp::error{fmt::format("queue {} went away", queue)};
    if (frame->payload.method.id != AMQP_BASIC_DELIVER_METHOD) continue;
    const auto m = c.read_content(*frame);
    fmt::print("{} <- {} {}\n", label, m.type.value_or("?"), m.body);
    std::fflush(stdout);
    c.ack(m.delivery_tag, /*multiple=*/false);
    c.release_buffers();
  }
}

int count_of(std::string_view text) {
  int n = 0;
  for (const char ch : text) {
    if (ch < '0' || ch > '9' || n > 1000) throw std::invalid_argument{fmt::format("N: not 1 to 1000: {}", text)};
    n = n * 10 + (ch - '0');
  }
  if (n < 1 || n > 1000) throw std::invalid_argument{fmt::format("N: not 1 to 1000: {}", text)};
  return n;
}

int run(const std::vector<std::string_view>& a) {
  if (a.size() == 4 && a[0] == "inbox") {
    amqp::connection c{settings(a[1])};
    c.declare_exchange(a[2], "topic");
    c.declare_queue(a[3]);
    c.bind_queue(a[3], a[2], "#");
    return 0;
  }
  if (a.size() == 4 && a[0] == "send") {
    constexpr std::array<std::string_view, 4> flows{"ca-aa", "aa-ca", "da-aa", "aa-da"};
    if (std::find(flows.begin(), flows.end(), a[2]) == flows.end())
      throw std::invalid_argument{fmt::format("unknown flow {}", a[2])};
    return send(a[1], a[2], count_of(a[3]));
  }
  if (a.size() == 4 && a[0] == "print") return print(a[1], a[2], a[3]);
  throw std::invalid_argument{"bad command or arguments"};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run({argv + 1, argv + argc});
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "swpt-demo-tool: {}\n{}", e.what(), usage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "swpt-demo-tool: {}\n", e.what());
    return 1;
  }
}

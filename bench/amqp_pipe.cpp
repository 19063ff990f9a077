// amqp_pipe: the ceiling for bench/e2e. A plain AMQP pipe on the broker,
// without STOMP: consumes a queue with a prefetch window and publishes
// every delivery with publisher confirms to a topic exchange bound (`#`)
// to a sink queue, acknowledging the consumed messages (basic.ack,
// multiple) up to the longest prefix whose publishes are confirmed: the
// at-least-once pattern of swpt-stomp client + server, minus TLS, STOMP
// and validation.
//
// What the broker sees is what it sees from the product: one connection
// consumes (prefetch P, like SWPT_CLIENT_BUFFER), another publishes
// (confirm mode, mandatory, persistent, content type, type, app_id and the
// headers and routing key the receiving server would set: an accounting
// authority's, or with --mix aa-ca a creditors agent's), and at most P
// messages are in flight. Both connections are served by one thread with
// its own poll(2) loop: no hand-over between threads, nothing slower than
// needed.
//
//   amqp_pipe URL [--messages N] [--prefetch P] [--fill-only | --no-fill]
//                 [--source QUEUE] [--exchange EXCHANGE] [--sink QUEUE]
//                 [--linger SECONDS] [--mix prepare-transfer|ca-aa|aa-ca]
//
// Declares the source queue (with its dead-letter queue, as configure-queue
// does), the exchange and the sink queue; fills the source with N messages
// (bench_messages.hpp: PrepareTransfer, or the mix of one direction's
// types) unless --no-fill; then, unless --fill-only, moves N messages and
// prints the rate, CPU seconds and peak RSS of this process, and how many
// frames it wrote and read. --linger keeps the connections open that long
// afterwards (for a look at their sockets).

#include "bench_messages.hpp"

#include "amqp/connection.hpp"
#include "core/routing_key.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace swpt;
using namespace std::chrono_literals;

constexpr std::string_view usage =
    "usage: amqp_pipe URL [--messages N] [--prefetch P] [--fill-only | --no-fill]\n"
    "                 [--source QUEUE] [--exchange EXCHANGE] [--sink QUEUE] [--linger SECONDS]\n"
    "                 [--mix prepare-transfer|ca-aa|aa-ca]\n";

struct options {
  std::string url;
  std::uint64_t messages = 20'000;
  std::uint16_t prefetch = 100;
  bool fill = true, pipe = true;
  std::uint64_t linger = 0;  // seconds
  std::string source = "pipe.src", exchange = "pipe.x", sink = "pipe.sink";
  bench::mix mix = bench::mix::prepare_transfer;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 == argc) throw std::invalid_argument{fmt::format("{} needs a value", arg)};
      return argv[++i];
    };
    if (arg == "--messages") {
      o.messages = bench::parse_count(value(), "--messages");
    } else if (arg == "--prefetch") {
      const auto p = bench::parse_count(value(), "--prefetch");
      if (p > 65535) throw std::invalid_argument{"--prefetch: at most 65535"};
      o.prefetch = static_cast<std::uint16_t>(p);
    } else if (arg == "--fill-only") {
      o.pipe = false;
    } else if (arg == "--no-fill") {
      o.fill = false;
    } else if (arg == "--source") {
      o.source = value();
    } else if (arg == "--exchange") {
      o.exchange = value();
    } else if (arg == "--sink") {
      o.sink = value();
    } else if (arg == "--mix") {
      o.mix = bench::parse_mix(value());
    } else if (arg == "--linger") {
      o.linger = bench::parse_count(value(), "--linger");
    } else if (arg.starts_with("-") || !o.url.empty()) {
      throw std::invalid_argument{fmt::format("unexpected argument: {}", arg)};
    } else {
      o.url = arg;
    }
  }
  if (o.url.empty()) throw std::invalid_argument{"URL is missing"};
  if (!o.fill && !o.pipe) throw std::invalid_argument{"--fill-only and --no-fill exclude each other"};
  return o;
}

amqp::connection_settings settings(const options& o, std::string name) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(o.url);
  s.name = std::move(name);
  return s;
}

// The value after "key": in a JSON body (the product parses it properly;
// for the headers of a known message shape a scan is enough).
std::string_view member(std::string_view body, std::string_view key) {
  const auto at = body.find(fmt::format("\"{}\"", key));
  if (at == std::string_view::npos) throw amqp::error{fmt::format("no {} in a consumed message", key)};
  auto rest = body.substr(at + key.size() + 2);
  rest.remove_prefix(std::min(rest.find_first_not_of(" :"), rest.size()));
  if (!rest.empty() && rest.front() == '"') {
    rest.remove_prefix(1);
    return rest.substr(0, rest.find('"'));
  }
  return rest.substr(0, rest.find_first_of(",}"));
}

std::int64_t integer(std::string_view body, std::string_view key) {
  const auto text = member(body, key);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw amqp::error{fmt::format("bad {} in a consumed message", key)};
  return v;
}

// VmHWM of this process in MiB (ru_maxrss would also count what the
// parent had before exec).
double peak_rss_mib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

void declare(amqp::connection& c, const options& o) {
  const std::string dead_letters = o.source + ".XQ";
  c.declare_queue(dead_letters);
  c.declare_queue(o.source, {{"x-dead-letter-exchange", std::string{}}, {"x-dead-letter-routing-key", dead_letters}});
  c.declare_exchange(o.exchange, "topic");
  c.declare_queue(o.sink);
  c.bind_queue(o.sink, o.exchange, "#");
}

// The headers the receiving server publishes with (docs/message-processing.md
// §3): for a creditors agent also the two classification flags (§4; every
// coordinator here is "direct", so only the creditor ID decides).
std::vector<std::pair<std::string_view, header_value>> server_headers(const std::string& type, std::string_view body,
                                                                     std::int64_t debtor, std::int64_t creditor,
                                                                     bool ca_owner) {
  std::vector<std::pair<std::string_view, header_value>> headers;
  headers.reserve(7);
  headers.emplace_back("message-type", type);
  headers.emplace_back("debtor-id", debtor);
  headers.emplace_back("creditor-id", creditor);
  if (ca_owner) {
    const bool trade_account = (static_cast<std::uint64_t>(creditor) & 0x000000FF00000000U) == 0;
    headers.emplace_back("ca-creditors", !trade_account);
    headers.emplace_back("ca-trade", trade_account);
  }
  if (body.find("\"coordinator_id\"") != std::string_view::npos) {
    headers.emplace_back("coordinator-id", integer(body, "coordinator_id"));
    headers.emplace_back("coordinator-type", std::string{member(body, "coordinator_type")});
  }
  return headers;
}

struct counters {
  std::uint64_t acks = 0;           // basic.ack frames written (consumed messages)
  std::uint64_t confirm_frames = 0;  // basic.ack frames read (publishes confirmed)
  std::uint64_t wakeups = 0;         // poll(2) calls that slept
};

// Moves o.messages messages; returns the seconds it took, from connecting
// to the last basic.ack written.
double pipe(const options& o, counters& n) {
  const auto start = std::chrono::steady_clock::now();
  amqp::connection in{settings(o, "swpt-bench amqp_pipe consumer")};
  amqp::connection out{settings(o, "swpt-bench amqp_pipe publisher")};
  out.enable_confirms();
  in.set_prefetch(o.prefetch);
  in.consume(o.source);

  std::map<std::uint64_t, std::uint64_t> unconfirmed;  // publish sequence number -> delivery tag
  std::uint64_t sequence = 0, last_tag = 0, acked = 0;
  const std::string_view content_type = "application/json";
  const bool ca_owner = o.mix == bench::mix::aa_ca;  // the receiving server would be a creditors agent's

  while (acked < o.messages) {
    // Deliveries: publish each at once.
    while (auto frame = in.poll(0ms)) {
      if (frame->frame_type != AMQP_FRAME_METHOD) continue;
      if (frame->payload.method.id == AMQP_BASIC_CANCEL_METHOD) throw amqp::error{"the consumer was cancelled"};
      if (frame->payload.method.id != AMQP_BASIC_DELIVER_METHOD) continue;
      const auto delivery = in.read_content(*frame);
      const std::string_view body = delivery.body;
      const auto debtor = integer(body, "debtor_id");
      const auto creditor = integer(body, "creditor_id");
      const std::string type = delivery.type.value_or("");
      const auto headers = server_headers(type, body, debtor, creditor, ca_owner);
      out.publish(o.exchange, ca_owner ? routing_key({creditor}) : routing_key({debtor, creditor}),
                  {content_type, type, &headers}, body, /*mandatory=*/true);
      unconfirmed.emplace(++sequence, delivery.delivery_tag);
      last_tag = delivery.delivery_tag;
    }
    in.release_buffers();

    // Confirmations.
    while (auto frame = out.poll(0ms)) {
      if (frame->frame_type != AMQP_FRAME_METHOD) continue;
      const auto& method = frame->payload.method;
      if (method.id == AMQP_BASIC_ACK_METHOD) {
        ++n.confirm_frames;
        const auto* m = static_cast<const amqp_basic_ack_t*>(method.decoded);
        if (m->multiple != 0) {
          unconfirmed.erase(unconfirmed.begin(), unconfirmed.upper_bound(m->delivery_tag));
        } else {
          unconfirmed.erase(m->delivery_tag);
        }
      } else if (method.id == AMQP_BASIC_NACK_METHOD) {
        throw amqp::error{"the broker nacked a publish"};
      } else if (method.id == AMQP_BASIC_RETURN_METHOD) {
        throw amqp::error{"a publish was returned (nothing bound to the exchange)"};
      }
    }
    out.release_buffers();

    // Acknowledge the consumed messages up to the first unconfirmed one.
    const std::uint64_t up_to = unconfirmed.empty() ? last_tag : unconfirmed.begin()->second - 1;
    if (up_to > acked) {
      in.ack(up_to, /*multiple=*/true);
      acked = up_to;
      ++n.acks;
    }
    if (acked >= o.messages) break;

    if (!in.has_buffered_frames() && !out.has_buffered_frames()) {
      pollfd fds[2] = {{in.fd(), POLLIN, 0}, {out.fd(), POLLIN, 0}};
      ::poll(fds, 2, 100);
      ++n.wakeups;
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (o.linger > 0) std::this_thread::sleep_for(std::chrono::seconds{o.linger});
  return took.count();
}

int run(const options& o) {
  {
    amqp::connection c{settings(o, "swpt-bench amqp_pipe setup")};
    declare(c, o);
    if (o.fill) {
      const auto start = std::chrono::steady_clock::now();
      bench::fill(c, "", o.source, o.messages, o.mix);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      fmt::print("filled {} with {} messages in {:.2f} s\n", o.source, o.messages, took.count());
    } else if (const auto ready = c.declare_queue(o.source, {}, /*passive=*/true); ready < o.messages) {
      fmt::print(stderr, "amqp_pipe: {} holds {} messages, fewer than {}\n", o.source, ready, o.messages);
      return 1;
    }
  }
  if (!o.pipe) return 0;
  counters n;
  const double took = pipe(o, n);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  fmt::print("pipe: {} messages in {:.2f} s = {:.0f} msg/s (prefetch {}); cpu {:.2f} s, peak RSS {:.1f} MiB\n",
             o.messages, took, static_cast<double>(o.messages) / took, o.prefetch,
             seconds(u.ru_utime) + seconds(u.ru_stime), peak_rss_mib());
  fmt::print("pipe: {} basic.ack written, {} confirmations read, {} waits in poll(2)\n", n.acks, n.confirm_frames,
             n.wakeups);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "amqp_pipe: {}\n{}", e.what(), usage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "amqp_pipe: {}\n", e.what());
    return 1;
  }
}

// Graceful ends against the real RabbitMQ, each in a fresh vhost: the
// server's stop(grace) in the middle of a stream (every receipted message
// is in the exchange's queue), the client's finish in the middle of a
// queue (exactly the unreceipted messages are ready again), and a memory
// alarm of the broker that outlasts the confirmation timeout (the peer gets
// ERROR, never a false RECEIPT, and the server still stops in time).

#include "amqp/broker_url.hpp"
#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "broker.hpp"
#include "environment.hpp"
#include "probe.hpp"
#include "process.hpp"

#include <asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>
#include <regex>
#include <set>

using namespace swpt;
using namespace swpt::testing;

namespace {

std::string fresh_vhost_url(std::string_view what) {
  static std::mt19937_64 random{std::random_device{}()};
  return e2e::rabbitmq_node::test_broker().fresh_vhost(fmt::format("swpt-lifecycle-{}-{:08x}", what, random() >> 32));
}

// A fresh vhost in which the AA's accounts_in exchange routes everything
// to the queue accounts_in.all; its URL.
std::string vhost_with_accounts_in(std::string_view what) {
  auto url = fresh_vhost_url(what);
  e2e::broker_client admin{url};
  admin.declare_exchange("accounts_in", "topic");
  admin.declare_queue("accounts_in.all");
  admin.bind_queue("accounts_in.all", "accounts_in", "#");
  return url;
}

amqp::connection_settings connection_to(const std::string& url) {
  amqp::connection_settings s;
  s.url = amqp::broker_url::parse(url);
  s.timeout = 5s;
  s.name = "swpt-stomp lifecycle tests";
  return s;
}

// The n of prepare_transfer_body(n), as the server re-emits it.
std::int64_t number_of(const std::string& body) {
  static const std::regex field{R"("coordinator_request_id": ?(\d+))"};
  std::smatch m;
  REQUIRE(std::regex_search(body, m, field));
  return std::stoll(m[1]);
}

// Everything ready in `queue` (at most `limit` messages).
std::vector<e2e::message> take_ready(e2e::broker_client& admin, const std::string& queue, std::size_t limit) {
  std::vector<e2e::message> out;
  while (out.size() < limit) {
    auto m = admin.get(queue);
    if (!m) break;
    out.push_back(std::move(*m));
  }
  return out;
}

// The AA's server publishing to a real broker.
struct broker_server {
  asio::io_context io;
  asio::thread_pool files{1};
  session::node_directory directory;
  amqp::publisher sink;
  session::server server;
  bool served = false;

  broker_server(const network& net, const std::string& url, std::chrono::milliseconds confirmation_timeout = 5s)
      : directory{nodedata::database{net.trio.aa.dir}, files.get_executor()},
        sink{io.get_executor(), {connection_to(url), confirmation_timeout, 100}},
        server{io.get_executor(), std::make_shared<asio::ssl::context>(net.server_context(net.trio.aa)),
               [] {
                 session::server_settings s;
                 s.port = 0;
                 return s;
               }(),
               directory, sink} {
    server.listen();
    asio::co_spawn(io, server.serve(), [this](std::exception_ptr e) {
      served = true;
      if (e) std::rethrow_exception(e);
    });
  }
  // A case that failed half-way still ends its sessions before the server goes.
  ~broker_server() {
    if (!served) stop(0s);
    files.join();
  }

  bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit = 30s) {
    return testing::run_until(io, done, limit);
  }
  // Runs server.stop(grace) to its end; whether serve() completed within `limit`.
  bool stop(std::chrono::steady_clock::duration grace, std::chrono::steady_clock::duration limit = 20s) {
    bool stopped = false;
    asio::co_spawn(io, server.stop(grace), [&](std::exception_ptr e) {
      stopped = true;
      if (e) std::rethrow_exception(e);
    });
    return run_until([&] { return stopped && served; }, limit);
  }
};

// A memory alarm of the whole test broker (the suite runs alone): raised
// by the constructor, lifted by lift() or at the latest by the destructor,
// so that the cases after it publish as usual. rabbitmqctl blocks, so the
// waits poll it without running the test's io_context.
class memory_alarm {
 public:
  memory_alarm() { node_.ctl({"set_vm_memory_high_watermark", "0.0001"}); }
  ~memory_alarm() {
    try {
      lift();
    } catch (const std::exception&) {
      // nothing more to do in a destructor; the next case's vhost still works
    }
  }
  memory_alarm(const memory_alarm&) = delete;
  memory_alarm& operator=(const memory_alarm&) = delete;

  // Whether the broker reports the alarm (within 30 s).
  bool raised() const { return e2e::wait_until([&] { return active(); }, 30s, 200ms); }
  // Restores the default watermark; whether the alarm has gone (within 30 s).
  bool lift() {
    if (lifted_) return true;
    node_.ctl({"set_vm_memory_high_watermark", "0.4"});
    lifted_ = e2e::wait_until([&] { return !active(); }, 30s, 200ms);
    return lifted_;
  }

 private:
  bool active() const {
    return node_.ctl({"eval", "rabbit_alarm:get_alarms()."}).find("memory") != std::string::npos;
  }
  e2e::rabbitmq_node node_ = e2e::rabbitmq_node::test_broker();
  bool lifted_ = false;
};

}  // namespace

TEST_CASE("a graceful stop of the server in mid-stream loses no receipted message", "[lifecycle][broker]") {
  const auto url = vhost_with_accounts_in("server");
  e2e::broker_client admin{url};

  network net;
  broker_server s{net, url};
  constexpr std::size_t total = 3000;
  auto tls = net.client_context(net.trio.ca, net.trio.aa);
  memory_source source{s.io.get_executor(), ca_messages(total)};
  background_client client{s.io, tls, net.target(net.trio.ca, net.trio.aa, s.server.port()), source};

  REQUIRE(s.run_until([&] { return source.confirmations().size() >= 3; }));
  REQUIRE(s.stop(5s, 30s));
  REQUIRE(s.run_until([&] { return client.done(); }));

  CHECK(client.outcome().kind == session::client_end::peer_error);
  CHECK(client.outcome().detail == "The connection has been closed by the server.");
  const auto receipted = static_cast<std::int64_t>(std::stoll(source.confirmations().back()));
  INFO("sent " << source.sent() << ", receipted " << receipted);
  CHECK(receipted < static_cast<std::int64_t>(total));  // the stop came in mid-stream

  const auto stored = take_ready(admin, "accounts_in.all", total + 1);
  std::set<std::int64_t> numbers;
  for (const auto& m : stored) numbers.insert(number_of(m.body));
  CHECK(numbers.size() == stored.size());  // each published once
  for (std::int64_t n = 1; n <= receipted; ++n) {
    INFO("message " << n);
    CHECK(numbers.count(n) == 1);
  }
  // What was read but not receipted may or may not be there; nothing else is.
  CHECK(static_cast<std::size_t>(*numbers.rbegin()) <= source.sent());
}

TEST_CASE("a graceful finish of the client leaves exactly the unreceipted messages ready", "[lifecycle][broker]") {
  const auto url = fresh_vhost_url("client");
  e2e::broker_client admin{url};
  const std::string queue = "aa.lifecycle";
  admin.declare_queue(queue);
  constexpr std::int64_t total = 40;
  for (std::int64_t n = 1; n <= total; ++n)
    admin.publish("", queue, prepare_transfer_body(n), {.type = "PrepareTransfer"});
  admin.confirm();

  aa_server s{{.manual_sink = true}};
  auto tls = s.net.client_context(s.ca(), s.aa());
  session::client_stop stop{s.io().get_executor()};
  amqp::consumer_pool pool{{.worker = {.connection = connection_to(url)}, .connections = 1}};
  std::optional<amqp::consumer> source;
  source.emplace(pool, s.io().get_executor(), amqp::consumer_settings{queue, 10},
                 [](const amqp::content& c) -> result<std::string> { return c.body; });
  session::client_settings settings;
  settings.buffer = 10;
  std::optional<background_client> client;
  client.emplace(s.io(), tls, s.net.target(s.ca(), s.aa(), s.server().port()), *source, settings, &stop);

  // Ten in flight (the buffer); the server confirms four of them, and the
  // client sends four more in their place.
  REQUIRE(s.run_until([&] { return s.sink.count() == 10; }, 30s));
  for (int i = 0; i < 4; ++i) s.sink.confirm_next();
  REQUIRE(s.run_until([&] { return s.sink.count() == 14; }, 10s));
  stop.finish(300ms);
  REQUIRE(s.run_until([&] { return client->done(); }, 10s));
  const auto outcome = client->outcome();
  CHECK(outcome.kind == session::client_end::finished);
  CHECK(outcome.unconfirmed == 10);
  // Acknowledges what was receipted and closes the channel: the broker
  // requeues the rest.
  bool stopped = false;
  asio::co_spawn(s.io(), source->stop(), [&](std::exception_ptr) { stopped = true; });
  REQUIRE(s.run_until([&] { return stopped; }, 10s));
  source.reset();

  const auto ready = take_ready(admin, queue, total + 1);
  std::set<std::int64_t> numbers;
  for (const auto& m : ready) numbers.insert(number_of(m.body));
  CHECK(ready.size() == static_cast<std::size_t>(total - 4));
  CHECK(numbers.size() == ready.size());
  CHECK(*numbers.begin() == 5);
  CHECK(*numbers.rbegin() == total);
}

TEST_CASE("under a memory alarm longer than the confirmation timeout the peer gets ERROR, never a RECEIPT",
          "[lifecycle][broker]") {
  // The publisher's failures reach the peer as ERROR: nothing published
  // during the alarm is receipted, and the server's stop is not held up by
  // a broker that stopped reading.
  const auto url = vhost_with_accounts_in("alarm");
  e2e::broker_client admin{url};

  network net;
  broker_server s{net, url, 1s};
  auto probe = tls_probe::connect(s.io, s.server.port(), net.client_probe_context(net.trio.ca, net.trio.aa));
  probe.send(connect_frame() + send_frames(1, 1));
  const auto commands = [&] { return parse_stream(probe.received()).commands(); };
  REQUIRE(s.run_until([&] { return commands().size() == 2; }));
  REQUIRE(commands() == std::vector<std::string>{"CONNECTED", "RECEIPT"});

  memory_alarm alarm;
  REQUIRE(alarm.raised());
  probe.send(send_frames(2, 4));
  // The next frame is ERROR, not a (false) RECEIPT, and it is the last.
  REQUIRE(s.run_until([&] { return probe.ended() || commands().size() > 2; }, 20s));
  CHECK(commands() == std::vector<std::string>{"CONNECTED", "RECEIPT", "ERROR"});
  REQUIRE(s.run_until([&] { return probe.ended(); }, 10s));
  const auto stream = parse_stream(probe.received());
  REQUIRE(stream.commands() == std::vector<std::string>{"CONNECTED", "RECEIPT", "ERROR"});
  const auto* receipt = stream.frames[1].header("receipt-id");
  const auto* message = stream.frames[2].header("message");
  REQUIRE((receipt != nullptr && message != nullptr));
  CHECK(*receipt == "1");
  CHECK(*message == "Internal server error.");

  constexpr auto grace = 2s;
  const auto before = std::chrono::steady_clock::now();
  REQUIRE(s.stop(grace));
  CHECK(std::chrono::steady_clock::now() - before < grace + session::server_settings{}.times.close_timeout);

  // Message 1 is stored once. 2..4 may be there too (the broker routes
  // what it blocked once the alarm ends; they were never receipted), and
  // nothing else.
  REQUIRE(alarm.lift());
  std::set<std::int64_t> numbers;
  const auto stored = take_ready(admin, "accounts_in.all", 10);
  for (const auto& m : stored) numbers.insert(number_of(m.body));
  CHECK(numbers.size() == stored.size());
  CHECK(numbers.count(1) == 1);
  CHECK(*numbers.rbegin() <= 4);
}

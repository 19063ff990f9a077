// Issue 4, second point: no message is lost when the receiving server is
// killed (SIGKILL) in the middle of a stream, nor when the receiving node's
// RabbitMQ restarts while the server is publishing. Every message arrives
// at least once and the client queue ends empty.
#include "broker.hpp"
#include "flow.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>
#include <set>

using namespace swpt::e2e;
using swpt::node_type;

namespace {

// Long enough that the stream is still running when the test interrupts
// it after `interrupt_after` messages (the product moves thousands a
// second); checked, not assumed: messages must still be waiting then.
constexpr int stream_length = 20000;
constexpr std::size_t interrupt_after = 1000;

struct stream {
  explicit stream(scenario& sc) : s{sc} {}

  scenario& s;
  const std::string queue = "ca.1234abcd";
  const std::vector<planned> plan = plan_ca_to_aa({"PrepareTransfer"}, stream_length);
  std::vector<message> got{};
  std::set<std::string> bodies{};  // distinct bodies of got[0, counted)
  std::size_t counted = 0;

  // The AA's accounts_in with the test queue, the CA's client queue full.
  void prepare() {
    {
      broker_client in{s.broker_url(s.aa())};
      bind_inbound(in, node_type::accounting_authority);
    }
    s.configure_queue(s.ca(), s.aa(), queue);
    broker_client out{s.broker_url(s.ca())};
    publish_plan(out, "creditors_out", plan);
    REQUIRE(out.message_count(queue) == plan.size());
  }

  // With the server and the client running: once `interrupt_after`
  // messages came, `interrupt()`; the stream must not have ended by then.
  void interrupt_midway(const child_process& server, const child_process& client,
                        const std::function<void()>& interrupt, std::string_view what) {
    const bool started = take([&] { return got.size() >= interrupt_after; }, 60s);
    INFO(client.describe());
    INFO(server.describe());
    REQUIRE(started);
    interrupt();
    const std::uint64_t left = waiting();
    INFO(fmt::format("{} of {} messages were waiting when {}", left, stream_length, what));
    REQUIRE(left > 0);
  }

  // Takes what has arrived until `done`.
  bool take(const std::function<bool()>& done, duration limit) {
    return take_until(s.broker_url(s.aa()), received_queue, got, done, limit);
  }
  std::size_t distinct() {
    for (; counted < got.size(); ++counted) bodies.insert(got[counted].body);
    return bodies.size();
  }
  bool complete() { return distinct() >= plan.size(); }
  // Messages not yet sent and acknowledged: the stream is still running.
  std::uint64_t waiting() { return s.queue_depth(s.ca(), queue); }

  // Takes the rest (calling `tick` at every poll); then everything must
  // have arrived at least once, exactly as specified, and the client queue
  // and its dead-letter queue must be empty. `diagnostics` (the processes'
  // logs) is taken at the end.
  void finish(const std::function<void()>& tick, const std::function<std::string()>& diagnostics) {
    const bool came = take(
        [&] {
          tick();
          return complete();
        },
        180s);
    const bool emptied = came && wait_until(
                                     [&] {
                                       tick();
                                       return s.queue_depth(s.ca(), queue) == 0;
                                     },
                                     30s, 200ms);
    for (auto& m : broker_client{s.broker_url(s.aa())}.get_all(received_queue)) got.push_back(std::move(m));
    INFO(diagnostics());
    INFO(fmt::format("{} of {} distinct messages came", distinct(), plan.size()));
    CHECK(came);
    CHECK(emptied);
    const comparison c = compare(expectations(plan), got, true);
    INFO(c.summary());
    CHECK(c.ok());
    CHECK(s.queue_depth(s.ca(), queue + ".XQ") == 0);
  }
};

}  // namespace

TEST_CASE("the server killed in the middle of a stream: nothing is lost", "[e2e][no-loss]") {
  scenario s{"kill-server"};
  stream st{s};
  st.prepare();

  auto server = s.start_server(s.aa());
  auto client = s.start_client(s.ca(), s.aa(), st.queue);
  st.interrupt_midway(
      *server, *client,
      [&] {
        server->signal(SIGKILL);
        REQUIRE(server->wait(10s).has_value());
      },
      "the server was killed");
  CHECK(server->status()->signaled);

  // The client's connection ended: it exits with 1 (docs/rabbitmq-topology.md §5).
  const auto client_end = client->wait(60s);
  INFO(client->describe());
  REQUIRE(client_end.has_value());
  CHECK(client_end->exited_with(1));

  auto server_again = s.start_server(s.aa());
  auto client_again = s.start_client(s.ca(), s.aa(), st.queue);
  st.finish([] {}, [&] { return client_again->describe() + "\n" + server_again->describe(); });
  CHECK(client_again->running());
}

TEST_CASE("the receiving node's RabbitMQ restarted while the server publishes: nothing is lost",
          "[e2e][no-loss][restart]") {
  private_broker broker{"swpt-e2e-restart", 5692};
  scenario s{"restart-broker"};
  s.place(s.aa(), broker);  // the server's broker is the one that restarts
  stream st{s};
  st.prepare();

  auto server = s.start_server(s.aa());
  auto client = s.start_client(s.ca(), s.aa(), st.queue);
  st.interrupt_midway(*server, *client, [&] { broker.stop(); }, "the broker had stopped");
  broker.start();

  // The server reconnects by itself (docs/message-processing.md §6); a client
  // whose connection ended meanwhile exits, and is started again as its
  // supervisor would.
  int client_runs = 1;
  const auto restart_client = [&] {
    if (!client->running() && server->running()) {
      client = s.start_client(s.ca(), s.aa(), st.queue);
      ++client_runs;
    }
  };
  st.finish(restart_client, [&] {
    return fmt::format("the client ran {} times\n{}\n{}", client_runs, client->describe(), server->describe());
  });
  CHECK(server->running());
}

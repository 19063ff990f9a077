// The end-to-end suite's own tools, against the test broker: the blocking
// AMQP client, fresh vhosts, the queue depths, child processes and a private
// broker that survives a restart with its durable messages.
#include "broker.hpp"
#include "environment.hpp"
#include "messages.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>
#include <set>

using namespace swpt::e2e;

TEST_CASE("a fresh vhost is empty and the client publishes, counts and gets messages", "[tools]") {
  const auto node = rabbitmq_node::test_broker();
  const std::string url = node.fresh_vhost("e2e-tools-client");
  CHECK(url == fmt::format("amqp://guest:guest@127.0.0.1:{}/e2e-tools-client", node.port()));
  {
    broker_client c{url};
    c.declare_exchange("x.topic", "topic");
    c.declare_queue("q");
    c.bind_queue("q", "x.topic", "a.#");
    c.publish("x.topic", "b.1", "lost", {.type = "T"});
    c.publish("x.topic", "a.1", "{\"n\": 1}",
              {.type = "T1", .headers = {{"s", std::string{"text"}}, {"n", std::int64_t{-5}}, {"yes", true}}});
    c.publish("x.topic", "a.2", "two", {.type = "", .content_type = "", .persistent = false});
    c.confirm();
    CHECK(c.message_count("q") == 2u);
    CHECK_FALSE(c.message_count("no-such-queue").has_value());
    CHECK(node.queue_depths("e2e-tools-client") == std::map<std::string, std::uint64_t>{{"q", 2}});

    const auto got = c.get_all("q");
    REQUIRE(got.size() == 2);
    CHECK(got[0].exchange == "x.topic");
    CHECK(got[0].routing_key == "a.1");
    CHECK(got[0].body == "{\"n\": 1}");
    CHECK(got[0].type == "T1");
    CHECK(got[0].content_type == "application/json");
    CHECK(got[0].delivery_mode == 2);
    CHECK(got[0].properties == std::vector<std::string>{"content_type", "headers", "delivery_mode", "type"});
    CHECK(got[0].header_strings() == std::vector<std::string>{"s:S:text", "n:l:-5", "yes:t:true"});
    CHECK(got[1].properties.empty());
    CHECK(got[1].body == "two");
    CHECK(c.message_count("q") == 0u);
  }
  // Fresh again: the queue has gone with the old vhost.
  node.fresh_vhost("e2e-tools-client");
  broker_client c{url};
  CHECK_FALSE(c.message_count("q").has_value());
  CHECK_FALSE(c.exchange_exists("x.topic"));
}

TEST_CASE("the client reports refusals and stays usable", "[tools]") {
  const std::string url = rabbitmq_node::test_broker().fresh_vhost("e2e-tools-refusals");
  broker_client c{url};
  c.declare_exchange("x", "topic");
  CHECK(c.try_declare_exchange("x", "topic").empty());
  CHECK_THAT(c.try_declare_exchange("x", "fanout"), Catch::Contains("PRECONDITION_FAILED"));
  c.declare_queue("dl", {{"x-dead-letter-exchange", std::string{}}, {"x-dead-letter-routing-key", std::string{"d"}}});
  CHECK(c.try_declare_queue("dl", {{"x-dead-letter-exchange", std::string{}},
                                   {"x-dead-letter-routing-key", std::string{"d"}}})
            .empty());
  CHECK_THAT(c.try_declare_queue("dl"), Catch::Contains("PRECONDITION_FAILED"));
  // An alternate exchange is part of what a redeclaration must repeat.
  c.declare_exchange("ae", "topic", {{"alternate-exchange", std::string{"x"}}});
  CHECK(c.try_declare_exchange("ae", "topic", {{"alternate-exchange", std::string{"x"}}}).empty());
  CHECK_THAT(c.try_declare_exchange("ae", "topic"), Catch::Contains("PRECONDITION_FAILED"));
  CHECK_THAT(c.try_declare_exchange("ae", "topic", {{"alternate-exchange", std::string{"y"}}}),
             Catch::Contains("PRECONDITION_FAILED"));
  CHECK(c.exchange_exists("x"));
  CHECK_FALSE(c.exchange_exists("y"));
  c.publish("x", "nowhere", "{}", {.type = "T"}, true);
  CHECK_THROWS_WITH(c.confirm(), Catch::Contains("NO_ROUTE"));
  CHECK_THROWS_AS(c.bind_queue("dl", "y", "#"), broker_error);
  CHECK(c.exchange_exists("x"));  // still usable
}

TEST_CASE("a headers exchange binding without headers matches every message", "[tools]") {
  // The tests bind their queue to creditors_in (a headers exchange) so.
  const std::string url = rabbitmq_node::test_broker().fresh_vhost("e2e-tools-headers");
  broker_client c{url};
  c.declare_exchange("h", "headers");
  c.declare_queue("all");
  c.bind_queue("all", "h", "");
  c.publish("h", "k1", "1", {.type = "T", .headers = {{"message-type", std::string{"X"}}}});
  c.publish("h", "k2", "2", {.type = "T"});
  c.publish("h", "k3", "3", {.type = "T", .headers = {{"ca-creditors", true}}}, true);
  c.confirm();
  CHECK(c.get_all("all").size() == 3);
}

TEST_CASE("integer header kinds follow the smallest fitting type", "[tools]") {
  CHECK(integer_kind(0) == 'b');
  CHECK(integer_kind(-128) == 'b');
  CHECK(integer_kind(128) == 's');
  CHECK(integer_kind(-32768) == 's');
  CHECK(integer_kind(40000) == 'u');
  CHECK(integer_kind(-40000) == 'I');
  CHECK(integer_kind(3000000000) == 'i');
  CHECK(integer_kind(-3000000000) == 'l');
  CHECK(integer_kind(1311862288428302337) == 'l');
  CHECK(dotted_hex(0x0000010000000abc) == "00.00.01.00.00.00.0a.bc");
  CHECK(dotted_hex(-2) == "ff.ff.ff.ff.ff.ff.ff.fe");
}

TEST_CASE("child processes: environment, output, exit codes, signals", "[tools]") {
  const swpt::fixtures::temp_dir dir{"swpt-e2e-tools"};
  const auto log = dir.path() / "logs" / "sh.log";
  {
    const auto r = run("/bin/sh", {"-c", "echo \"$E2E_A $E2E_B\"; echo err >&2; exit 3"},
                       {{"E2E_A", "one"}, {"E2E_B", "two"}}, log);
    CHECK(r.status.exited_with(3));
    CHECK(r.status.to_string() == "exit code 3");
    CHECK(r.output == "one two\nerr\n");
  }
  child_process p{"/bin/sh", {"-c", "echo started; exec sleep 60"}, {}, log};
  CHECK(p.wait_for_log("started", 10s));
  CHECK(p.log() == "started\n");  // this process's output only
  CHECK(p.running());
  CHECK_FALSE(p.wait(100ms).has_value());
  CHECK_FALSE(p.wait_for_log("never", 100ms));
  const exit_status s = p.stop();
  CHECK(s.signaled);
  CHECK(s.value == SIGTERM);
  CHECK_FALSE(p.running());
  CHECK(count_lines_with("a x\nb\nx c\n", "x") == 2);

  child_process quits{"/bin/sh", {"-c", "exit 0"}, {}, log};
  CHECK_FALSE(quits.wait_for_log("never", 10s));  // returns once it has ended
  CHECK(quits.status().has_value());

  const auto ports = free_ports(3);
  CHECK(std::set<std::uint16_t>(ports.begin(), ports.end()).size() == 3);
  CHECK(url_port("amqp://guest:guest@127.0.0.1:5682/v") == 5682);
}

TEST_CASE("a private broker keeps durable queues and persistent messages over a restart", "[tools][restart]") {
  private_broker broker{"swpt-e2e-tools", 5693};
  const std::string url = broker.fresh_vhost("e2e-tools-restart");
  {
    broker_client c{url};
    c.declare_queue("kept");
    c.publish("", "kept", "persistent", {.type = "T"});
    c.confirm();
  }
  broker.stop();
  CHECK_THROWS_AS(broker_client{url}, broker_error);
  broker.start();
  broker_client c{url};
  const auto got = c.get_all("kept");
  REQUIRE(got.size() == 1);
  CHECK(got[0].body == "persistent");
}

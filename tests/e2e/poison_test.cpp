// Issue 4, third point: a message the client cannot send is rejected
// without requeueing, so RabbitMQ dead-letters it into <queue>.XQ; the
// client logs an error and the rest flows.
#include "broker.hpp"
#include "flow.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>

using namespace swpt::e2e;
using swpt::node_type;

TEST_CASE("poison messages go to the .XQ queue, the rest flows", "[e2e][poison]") {
  scenario s{"poison"};
  const std::string queue = "ca.1234abcd";
  broker_client in{s.broker_url(s.aa())};
  bind_inbound(in, node_type::accounting_authority);
  s.configure_queue(s.ca(), s.aa(), queue);

  const auto good = plan_ca_to_aa(in_types, 4);
  const std::size_t half = good.size() / 2;
  struct poison {
    std::string type, body;
  };
  const std::vector<poison> poisons{
      {"PrepareTransfer", "{not json"},
      // A CA's client may send only "in" types.
      {"RejectedConfig", smp_body("RejectedConfig", {0x1234abcd00000001, 0x0000080000000abc, "", 0})},
      // docs/message-processing.md §8: creditor outside the CA's subnet 000008,
      // and debtor outside the AA's 1234abcd.
      {"PrepareTransfer",
       smp_body("PrepareTransfer", {0x1234abcd00000001, 0x0000070000000abc, "direct", 0x0000070000000abc})},
      {"PrepareTransfer",
       smp_body("PrepareTransfer", {0x1234abce00000001, 0x0000080000000abc, "direct", 0x0000080000000abc})},
  };
  // Straight into the queue, between good messages.
  broker_client out{s.broker_url(s.ca())};
  const auto put = [&](const std::string& type, const std::string& body) {
    out.publish("", queue, body, {.type = type});
  };
  for (std::size_t i = 0; i < half; ++i) put(good[i].type, good[i].body);
  for (const auto& p : poisons) put(p.type, p.body);
  for (std::size_t i = half; i < good.size(); ++i) put(good[i].type, good[i].body);
  out.confirm();
  CHECK(out.message_count(queue) == good.size() + poisons.size());

  auto server = s.start_server(s.aa());
  auto client = s.start_client(s.ca(), s.aa(), queue);
  std::vector<message> got;
  const bool all_came = take_until(s.broker_url(s.aa()), received_queue, got,
                                   [&] { return got.size() >= good.size(); }, 60s);
  const bool emptied = all_came && wait_until([&] { return s.queue_depth(s.ca(), queue) == 0; }, 30s, 200ms);
  for (auto& m : in.get_all(received_queue)) got.push_back(std::move(m));
  INFO(client->describe());
  INFO(server->describe());
  REQUIRE(all_came);
  CHECK(emptied);
  const comparison c = compare(expectations(good), got);
  INFO(c.summary());
  CHECK(c.ok());

  // Dead-lettered as they were (in any order).
  std::multiset<std::string> dead;
  for (const auto& m : out.get_all(queue + ".XQ")) dead.insert(m.type + " " + m.body);
  std::multiset<std::string> rejected;
  for (const auto& p : poisons) rejected.insert(p.type + " " + p.body);
  CHECK(dead == rejected);
  CHECK(swpt::e2e::count_lines_with(client->log(), ":ERROR:") >= poisons.size());
  CHECK(client->running());
}

// Issue 4, fifth point: configure-queue run twice is harmless; its refusal
// cases exit 1 and declare nothing (docs/rabbitmq-topology.md §2).
#include "broker.hpp"
#include "flow.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace swpt::e2e;
using swpt::node_type;

TEST_CASE("configure-queue twice: both succeed, the topology and the queued messages stay", "[e2e][configure]") {
  scenario s{"configure-twice"};
  const std::string queue = "aa." + s.ca().id;
  const run_result first = s.run(s.aa(), {"configure-queue", s.ca().id, queue});
  INFO(first.output);
  REQUIRE(first.status.exited_with(0));
  CHECK_THAT(first.output, Catch::Contains(":INFO:") && Catch::Contains("configured queue: " + queue));

  broker_client c{s.broker_url(s.aa())};
  const auto body = smp_body("AccountPurge", {0x1234abcd00000001, 0x0000010000000abc, "", 0});
  c.publish("to_creditors", "00.00.01.00.00.00.0a.bc", body, {.type = "AccountPurge"});
  c.confirm();
  REQUIRE(c.message_count(queue) == 1u);

  const run_result second = s.run(s.aa(), {"configure-queue", s.ca().id, queue});
  INFO(second.output);
  CHECK(second.status.exited_with(0));
  CHECK(c.message_count(queue) == 1u);
  const auto refusals = topology_refusals(c, node_type::accounting_authority, node_type::creditors_agent,
                                          s.ca().id, queue);
  INFO(fmt::format("{}", fmt::join(refusals, "\n")));
  CHECK(refusals.empty());
  // The binding still routes.
  c.publish("to_creditors", "00.00.01.00.00.00.0a.bd", body, {.type = "AccountPurge"});
  c.confirm();
  CHECK(c.message_count(queue) == 2u);
}

TEST_CASE("configure-queue does not need ACTIVE", "[e2e][configure]") {
  scenario s{"configure-inactive"};
  s.net().reset_activation(s.da(), s.aa());
  const run_result r = s.run(s.da(), {"configure-queue", s.aa().id, "da.1234abcd"});
  INFO(r.output);
  CHECK(r.status.exited_with(0));
  broker_client c{s.broker_url(s.da())};
  const auto refusals =
      topology_refusals(c, node_type::debtors_agent, node_type::accounting_authority, s.aa().id, "da.1234abcd");
  INFO(fmt::format("{}", fmt::join(refusals, "\n")));
  CHECK(refusals.empty());
}

TEST_CASE("configure-queue refuses unknown and deactivated peers with exit code 1", "[e2e][configure]") {
  scenario s{"configure-refusals"};
  // docs/rabbitmq-topology.md §2 vector: DA, peer INVALID, queue q.INVALID.
  const run_result unknown = s.run(s.da(), {"configure-queue", "INVALID", "q.INVALID"});
  INFO(unknown.output);
  CHECK(unknown.status.exited_with(1));
  CHECK_THAT(unknown.output, Catch::Contains("Peer INVALID is not in the database."));
  CHECK_FALSE(broker_client{s.broker_url(s.da())}.message_count("q.INVALID").has_value());

  s.net().deactivate(s.aa(), s.ca());
  const std::string queue = "aa." + s.ca().id;
  const run_result deactivated = s.run(s.aa(), {"configure-queue", s.ca().id, queue});
  INFO(deactivated.output);
  CHECK(deactivated.status.exited_with(1));
  CHECK_THAT(deactivated.output, Catch::Contains(fmt::format("Peer {} has been deactivated.", s.ca().id)));
  broker_client c{s.broker_url(s.aa())};
  CHECK_FALSE(c.message_count(queue).has_value());
  CHECK_FALSE(c.exchange_exists("aa.x." + s.ca().id));
}

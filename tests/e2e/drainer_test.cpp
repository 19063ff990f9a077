// Issue 4, fourth point: the drainer on a deactivated peer's queue empties
// it and publishes the generated responses to the node's *_in exchange as
// the server would (docs/rabbitmq-topology.md §3 and its test vectors).
#include "broker.hpp"
#include "flow.hpp"
#include "scenario.hpp"

#include "core/routing_key.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>

using namespace swpt::e2e;
using swpt::node_type;
namespace fixtures = swpt::fixtures;

namespace {

using system_clock = std::chrono::system_clock;

// `ts` of a generated response: the current UTC time with microseconds
// ("2024-05-01T10:00:00.123456+00:00", the fraction only when not zero),
// taken between `from` and `to`. Such a body comes back with the value
// replaced by NOW, so that it compares equal to the expectation; any other
// body comes back as it was and shows in the comparison.
std::string mask_now(std::string body, system_clock::time_point from, system_clock::time_point to) {
  const std::string key = R"("ts": ")";
  const auto start = body.rfind(key);
  if (start == std::string::npos) return body;
  const auto value = start + key.size();
  const auto end = body.find('"', value);
  if (end == std::string::npos) return body;
  const std::string ts = body.substr(value, end - value);
  std::tm t{};
  int micros = 0;
  char tail[16] = {};
  const bool whole = ts.size() == 25 && std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &t.tm_year, &t.tm_mon,
                                                     &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec, tail) == 7;
  const bool fraction = ts.size() == 32 && std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6d%15s", &t.tm_year,
                                                        &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec,
                                                        &micros, tail) == 8;
  if (!(whole || fraction) || std::string_view{tail} != "+00:00") return body;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  const auto at = system_clock::from_time_t(timegm(&t)) + std::chrono::microseconds{micros};
  if (at < from - 1s || at > to + 1s) return body;
  return body.replace(value, end - value, "NOW");
}

// Runs the drainer until `expected` came and the queue is empty, then stops
// it; compares (ts masked) with the expectations, whose ts is NOW.
void drain(scenario& s, const fixtures::node& owner, const fixtures::node& peer, const std::string& queue,
           const std::vector<expected_message>& expected) {
  const auto from = system_clock::now();
  auto drainer = s.start(owner, {"drainer", peer.id, queue});
  std::vector<message> got;
  const auto url = s.broker_url(owner);
  const bool came = take_until(url, received_queue, got, [&] { return got.size() >= expected.size(); }, 60s);
  const bool emptied = wait_until([&] { return s.queue_depth(owner, queue) == 0; }, 30s, 200ms);
  const bool was_running = drainer->running();
  drainer->stop();
  INFO(drainer->describe());
  CHECK(came);
  CHECK(emptied);
  CHECK(was_running);
  // Responses are published in the order of the consumed messages: any
  // response to an earlier message would have come before the last one.
  for (auto& m : broker_client{url}.get_all(received_queue)) got.push_back(std::move(m));
  const auto to = system_clock::now();
  for (auto& m : got) m.body = mask_now(m.body, from, to);
  const comparison c = compare(expected, got);
  INFO(c.summary());
  CHECK(c.ok());
  CHECK(s.queue_depth(owner, queue + ".XQ") == 0);
}

}  // namespace

TEST_CASE("drainer, CA with a deactivated AA: ConfigureAccount is answered with RejectedConfig", "[e2e][drainer]") {
  scenario s{"drain-ca"};
  auto& deac = s.add_node("aa-deac", node_type::accounting_authority, "deac00ed");
  s.net().make_peers(deac, s.ca());  // the CA's masquerading subnet there: 000001
  const std::string queue = "ca.deac00ed";
  broker_client c{s.broker_url(s.ca())};
  bind_inbound(c, node_type::creditors_agent);
  s.configure_queue(s.ca(), deac, queue);

  // docs/rabbitmq-topology.md §3 vector: debtor 0xdeac00ed00000001, creditor
  // 0x0000081000000001, in the CA's own numbering.
  const std::string key = "de.ac.00.ed.00.00.00.01";
  c.publish("creditors_out", key,
            smp_body("PrepareTransfer", {-2401543483388067839, 8864812498945, "direct", 8864812498945}),
            {.type = "PrepareTransfer"});
  const std::string configure =
      R"({"type": "ConfigureAccount", "debtor_id": -2401543483388067839, "creditor_id": 8864812498945, )"
      R"("negligible_amount": 1000.0, "config_data": "TEST_CONFIG", "config_flags": 666, "seqnum": 1234, )"
      R"("ts": "2023-01-01T12:00:00+00:00"})";
  c.publish("creditors_out", key, configure, {.type = "ConfigureAccount"});
  c.publish("creditors_out", key, configure, {.type = "ConfigureAccount"});
  c.confirm();
  REQUIRE(c.message_count(queue) == 3u);
  s.net().deactivate(s.ca(), deac);

  const expected_message rejected{
      "creditors_in", swpt::routing_key({8864812498945}), "RejectedConfig",
      R"({"type": "RejectedConfig", "debtor_id": -2401543483388067839, "creditor_id": 8864812498945, )"
      R"("config_ts": "2023-01-01T12:00:00+00:00", "config_seqnum": 1234, "config_flags": 666, )"
      R"("config_data": "TEST_CONFIG", "negligible_amount": 1000.0, "rejection_code": "NO_CONNECTION_TO_DEBTOR", )"
      R"("ts": "NOW"})",
      {"message-type:S:RejectedConfig", "debtor-id:l:-2401543483388067839", "creditor-id:l:8864812498945",
       "ca-creditors:t:true", "ca-trade:t:false"}};
  drain(s, s.ca(), deac, queue, {rejected, rejected});
}

TEST_CASE("drainer, AA with a deactivated CA: PreparedTransfer and AccountUpdate are answered", "[e2e][drainer]") {
  scenario s{"drain-aa"};
  auto& gone = s.add_node("ca-deac", node_type::creditors_agent);
  s.net().make_peers(s.aa(), gone);  // subnet 000002
  const std::string queue = "aa." + gone.id;
  broker_client c{s.broker_url(s.aa())};
  bind_inbound(c, node_type::accounting_authority);
  s.configure_queue(s.aa(), gone, queue);

  // docs/rabbitmq-topology.md §3 vectors: debtor 0x1234abcd00000001, creditor
  // 0x0000020000000001; the PreparedTransfer by an agent, coordinator
  // 0x0000020000000002, request 1234.
  const smp_ids ids{0x1234abcd00000001, 0x0000020000000001, "agent", 0x0000020000000002};
  std::string prepared = smp_body("PreparedTransfer", ids);
  const std::string request = R"("coordinator_request_id": 1111)";
  prepared.replace(prepared.find(request), request.size(), R"("coordinator_request_id": 1234)");
  const std::string key = dotted_hex(ids.creditor);
  c.publish("to_creditors", key, prepared, {.type = "PreparedTransfer"});
  c.publish("to_creditors", key, smp_body("AccountUpdate", ids), {.type = "AccountUpdate"});
  c.publish("to_creditors", key, smp_body("AccountUpdate", ids), {.type = "AccountUpdate"});
  c.publish("to_creditors", key, smp_body("AccountPurge", ids), {.type = "AccountPurge"});  // no response
  c.confirm();
  REQUIRE(c.message_count(queue) == 4u);
  s.net().deactivate(s.aa(), gone);

  const std::string routing = swpt::routing_key({1311862288428302337, 2199023255553});
  const expected_message finalize{
      "accounts_in", routing, "FinalizeTransfer",
      R"({"transfer_note_format": "", "transfer_note": "", "type": "FinalizeTransfer", )"
      R"("debtor_id": 1311862288428302337, "creditor_id": 2199023255553, "coordinator_type": "agent", )"
      R"("coordinator_id": 2199023255554, "coordinator_request_id": 1234, "transfer_id": 12345, )"
      R"("committed_amount": 0, "ts": "NOW"})",
      {"message-type:S:FinalizeTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:2199023255553",
       "coordinator-id:l:2199023255554", "coordinator-type:S:agent"}};
  const expected_message configure{
      "accounts_in", routing, "ConfigureAccount",
      R"({"type": "ConfigureAccount", "debtor_id": 1311862288428302337, "creditor_id": 2199023255553, )"
      R"("negligible_amount": 1e+30, "config_data": "", "config_flags": 1, "seqnum": 0, "ts": "NOW"})",
      {"message-type:S:ConfigureAccount", "debtor-id:l:1311862288428302337", "creditor-id:l:2199023255553"}};
  drain(s, s.aa(), gone, queue, {finalize, configure, configure});
}

TEST_CASE("drainer refusals: missing queue, active peer, unknown peer", "[e2e][drainer]") {
  scenario s{"drain-refusals"};
  auto& deac = s.add_node("aa-deac", node_type::accounting_authority, "deac00ed");
  s.net().make_peers(deac, s.ca());
  s.net().deactivate(s.ca(), deac);

  // docs/rabbitmq-topology.md §3: a queue that does not exist ends the drainer.
  const run_result missing = s.run(s.ca(), {"drainer", "deac00ed", "ca.missing"});
  INFO(missing.output);
  CHECK(missing.status.exited_with(1));

  const run_result active = s.run(s.ca(), {"drainer", s.aa().id, "ca.1234abcd"});
  INFO(active.output);
  CHECK(active.status.exited_with(1));
  CHECK_THAT(active.output, Catch::Contains("Peer 1234abcd has not been deactivated."));

  const run_result unknown = s.run(s.ca(), {"drainer", "INVALID", "q.INVALID"});
  INFO(unknown.output);
  CHECK(unknown.status.exited_with(1));
  CHECK_THAT(unknown.output, Catch::Contains("Peer INVALID is not in the database."));
}

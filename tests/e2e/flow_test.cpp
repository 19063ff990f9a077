// Issue 4, first point: two nodes on loopback, each with its own broker
// vhost and exchanges; for CA→AA, AA→CA, DA→AA and AA→DA, configure-queue,
// publish N valid messages of every type the direction allows through the
// sending node's main exchange, run the receiving node's server and the
// sending node's client, and check that every message arrives once in the
// receiving node's *_in exchange with the routing key, properties, headers
// and translated body of the spec.
#include "broker.hpp"
#include "flow.hpp"
#include "messages.hpp"
#include "scenario.hpp"

#include "core/routing_key.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <stdexcept>

using namespace swpt::e2e;
using swpt::node_type;
namespace fixtures = swpt::fixtures;

namespace {

constexpr int per_type = 25;

fixtures::node& node_of(scenario& s, node_type type) {
  switch (type) {
    case node_type::accounting_authority: return s.aa();
    case node_type::creditors_agent: return s.ca();
    case node_type::debtors_agent: return s.da();
  }
  throw std::logic_error("no such node type");
}

// The trio with the receiving node's *_in exchange bound to the test queue
// and the sending node's queue for the receiver configured, its queue named
// <prefix>.<peer id> as deployments do (docs/rabbitmq-topology.md §2 vectors).
struct flow {
  scenario s;
  fixtures::node& sender;
  fixtures::node& receiver;
  const std::string queue;
  broker_client in;   // the receiver's vhost
  broker_client out;  // the sender's vhost

  flow(const std::string& name, node_type from, node_type to)
      : s{name},
        sender{node_of(s, from)},
        receiver{node_of(s, to)},
        queue{fmt::format("{}.{}", swpt::node_type_prefix(from), receiver.id)},
        in{s.broker_url(receiver)},
        out{s.broker_url(sender)} {
    bind_inbound(in, to);
    configure();
  }

  // configure-queue, then the topology of docs/rabbitmq-topology.md §2 checked
  // by redeclaration (and one wrong redeclaration refused, so the check can
  // fail).
  void configure() {
    s.configure_queue(sender, receiver, queue);
    const auto refusals = topology_refusals(out, sender.type, receiver.type, receiver.id, queue);
    INFO(fmt::format("{}", fmt::join(refusals, "\n")));
    CHECK(refusals.empty());
    const auto main = main_exchange(sender.type, receiver.type);
    CHECK_THAT(out.try_declare_exchange(main.name, main.type == "fanout" ? "topic" : "fanout", main.args),
               Catch::Contains("PRECONDITION_FAILED"));
  }

  // The client queue then holds exactly the plan (the main exchange and its
  // binding routed each message, and nothing else).
  void publish(const std::vector<planned>& plan) {
    publish_plan(out, main_exchange(sender.type, receiver.type).name, plan);
    CHECK(out.message_count(queue) == plan.size());
    CHECK(s.queue_depth(sender, queue) == plan.size());
  }

  // Runs the receiver's server and the sender's client until everything
  // came (then the client queue must be empty: every message acknowledged
  // on its receipt) and compares what came with the plan.
  void deliver(const std::vector<planned>& plan) {
    auto server = s.start_server(receiver);
    auto client = s.start_client(sender, receiver, queue);
    const auto in_url = s.broker_url(receiver);
    std::vector<message> got;
    const bool all_came = take_until(in_url, received_queue, got, [&] { return got.size() >= plan.size(); }, 60s);
    const bool acknowledged = all_came && wait_until([&] { return s.queue_depth(sender, queue) == 0; }, 30s, 200ms);
    // Receipts come after the broker's confirms: whatever else the server
    // published is in the test queue by now.
    for (auto& m : in.get_all(received_queue)) got.push_back(std::move(m));
    INFO(client->describe());
    INFO(server->describe());
    INFO(fmt::format("{} of {} messages came", got.size(), plan.size()));
    REQUIRE(all_came);
    CHECK(acknowledged);
    const comparison c = compare(expectations(plan), got);
    INFO(c.summary());
    CHECK(c.ok());
    CHECK(s.queue_depth(sender, queue + ".XQ") == 0);
    CHECK(client->running());
    CHECK(server->running());
  }
};

planned literal(std::string type, const smp_ids& sent, std::string main_key, expected_message expected) {
  std::string body = smp_body(type, sent);
  return {std::move(type), std::move(body), std::move(main_key), std::move(expected)};
}

}  // namespace

TEST_CASE("CA to AA: every 'in' type arrives in accounts_in, creditor IDs translated", "[e2e][flow]") {
  flow f{"flow-ca-aa", node_type::creditors_agent, node_type::accounting_authority};
  CHECK(f.queue == "ca.1234abcd");

  auto plan = plan_ca_to_aa(in_types, per_type);
  // docs/message-processing.md §10: 100 x PrepareTransfer, creditor and
  // coordinator 0x0000080000000001 become 0x0000010000000001.
  const smp_ids e2e_sent{0x1234abcd00000001, 0x0000080000000001, "direct", 0x0000080000000001};
  const smp_ids e2e_received{0x1234abcd00000001, 0x0000010000000001, "direct", 0x0000010000000001};
  for (int i = 0; i < 100; ++i) {
    plan.push_back(literal("PrepareTransfer", e2e_sent, "12.34.ab.cd.00.00.00.01",
                           {"accounts_in", swpt::routing_key({1311862288428302337, 1099511627777}), "PrepareTransfer",
                            smp_body("PrepareTransfer", e2e_received),
                            {"message-type:S:PrepareTransfer", "debtor-id:l:1311862288428302337",
                             "creditor-id:l:1099511627777", "coordinator-id:l:1099511627777",
                             "coordinator-type:S:direct"}}));
  }
  // §8: direct, creditor 0x0000080000000abc -> 0x0000010000000abc, and its
  // AA routing key (§5 vector); agent, coordinator 0x0000080000000002 ->
  // 0x0000010000000002.
  plan.push_back(literal("PrepareTransfer", {0x1234abcd00000001, 0x0000080000000abc, "direct", 0x0000080000000abc},
                         "12.34.ab.cd.00.00.00.01",
                         {"accounts_in", "1.0.1.1.1.1.1.0.1.0.0.1.1.0.1.1.0.1.1.0.0.1.1.1", "PrepareTransfer",
                          smp_body("PrepareTransfer",
                                   {0x1234abcd00000001, 0x0000010000000abc, "direct", 0x0000010000000abc}),
                          {"message-type:S:PrepareTransfer", "debtor-id:l:1311862288428302337",
                           "creditor-id:l:1099511630524", "coordinator-id:l:1099511630524",
                           "coordinator-type:S:direct"}}));
  plan.push_back(literal("FinalizeTransfer", {0x1234abcd00000001, 0x0000080000000abc, "agent", 0x0000080000000002},
                         "12.34.ab.cd.00.00.00.01",
                         expect_at(node_type::accounting_authority, "FinalizeTransfer",
                                   {0x1234abcd00000001, 0x0000010000000abc, "agent", 0x0000010000000002})));
  // A body as an application may write it (compact, other member order, an
  // unknown member, a non-ASCII string, a short datetime) is re-emitted in
  // the canonical form.
  plan.push_back(
      {"ConfigureAccount",
       R"({"creditor_id":8796093024957,"type":"ConfigureAccount","debtor_id":1311862288428302338,)"
       R"("negligible_amount":1e3,"config_data":"Щ","config_flags":128,"seqnum":0,"ts":"2022-01-01T00:00Z","x":1})",
       "12.34.ab.cd.00.00.00.02",
       {"accounts_in", swpt::routing_key({1311862288428302338, 1099511630525}), "ConfigureAccount",
        R"({"type": "ConfigureAccount", "debtor_id": 1311862288428302338, "creditor_id": 1099511630525, )"
        R"("negligible_amount": 1000.0, "config_data": "\u0429", "config_flags": 128, "seqnum": 0, )"
        R"("ts": "2022-01-01T00:00:00+00:00"})",
        {"message-type:S:ConfigureAccount", "debtor-id:l:1311862288428302338", "creditor-id:l:1099511630525"}}});

  // Unroutable on creditors_out (another AA's debtor): it goes to the
  // alternate exchange ca.loopback_filter, not to the client queue.
  f.out.declare_queue("e2e.loopback");
  f.out.bind_queue("e2e.loopback", "ca.loopback_filter", "",
                   {{"x-match", std::string{"all"}}, {"message-type", std::string{"ConfigureAccount"}}});
  f.out.publish("creditors_out", "12.34.ab.ce.00.00.00.01",
                smp_body("ConfigureAccount", {0x1234abce00000001, 0x0000080000000001, "", 0}),
                {.type = "ConfigureAccount", .headers = {{"message-type", std::string{"ConfigureAccount"}}}});
  f.publish(plan);
  CHECK(f.out.message_count("e2e.loopback") == 1u);

  f.deliver(plan);
}

TEST_CASE("AA to CA: every 'out' type arrives in creditors_in, classified and translated", "[e2e][flow]") {
  flow f{"flow-aa-ca", node_type::accounting_authority, node_type::creditors_agent};

  auto plan = plan_aa_to_ca(out_types, per_type);
  // docs/message-processing.md §4 vectors, each with its literal headers and key.
  const std::int64_t debtor = 0x1234abcd00000001;
  const auto at_ca = [&](std::string type, smp_ids sent, smp_ids received, std::string key,
                         std::vector<std::string> headers) {
    plan.push_back(literal(type, sent, dotted_hex(sent.creditor),
                           {"creditors_in", std::move(key), type, smp_body(type, received), std::move(headers)}));
  };
  at_ca("RejectedTransfer", {debtor, 0x0000010100000abc, "direct", 0x0000010100000abc},
        {debtor, 0x0000080100000abc, "direct", 0x0000080100000abc}, "0.0.0.0.0.1.1.1.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.1",
        {"message-type:S:RejectedTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:8800387992252",
         "ca-creditors:t:true", "ca-trade:t:false", "coordinator-id:l:8800387992252", "coordinator-type:S:direct"});
  at_ca("RejectedTransfer", {debtor, 0x0000010100000abc, "agent", 0x0000010100000002},
        {debtor, 0x0000080100000abc, "agent", 0x0000080100000002}, "1.0.1.1.0.1.1.0.0.1.1.0.1.0.0.0.0.1.0.0.0.0.0.0",
        {"message-type:S:RejectedTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:8800387992252",
         "ca-creditors:t:false", "ca-trade:t:true", "coordinator-id:l:8800387989506", "coordinator-type:S:agent"});
  at_ca("AccountTransfer", {debtor, 0x0000010000000005, "direct", 0}, {debtor, 0x0000080000000005, "direct", 0},
        "0.1.0.1.1.1.0.1.1.0.1.1.1.1.1.0.0.1.1.1.1.0.0.0",
        {"message-type:S:AccountTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:8796093022213",
         "ca-creditors:t:false", "ca-trade:t:true"});
  at_ca("AccountTransfer", {debtor, 0x0000010100000abc, "agent", 0}, {debtor, 0x0000080100000abc, "agent", 0},
        "0.0.0.0.0.1.1.1.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.1",
        {"message-type:S:AccountTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:8800387992252",
         "ca-creditors:t:true", "ca-trade:t:true"});
  at_ca("AccountTransfer", {debtor, 0x0000010100000abc, "direct", 0}, {debtor, 0x0000080100000abc, "direct", 0},
        "0.0.0.0.0.1.1.1.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.1",
        {"message-type:S:AccountTransfer", "debtor-id:l:1311862288428302337", "creditor-id:l:8800387992252",
         "ca-creditors:t:true", "ca-trade:t:false"});
  // §8: AccountPurge creditor 0x0000010000000abc is sent unchanged.
  at_ca("AccountPurge", {debtor, 0x0000010000000abc, "", 0}, {debtor, 0x0000080000000abc, "", 0},
        swpt::routing_key({0x0000080000000abc}),
        {"message-type:S:AccountPurge", "debtor-id:l:1311862288428302337", "creditor-id:l:8796093024956",
         "ca-creditors:t:false", "ca-trade:t:true"});

  // to_creditors binds only this CA's subnet (key 00.00.01.#).
  f.out.publish("to_creditors", "00.00.02.00.00.00.0a.bc",
                smp_body("AccountPurge", {debtor, 0x0000020000000abc, "", 0}), {.type = "AccountPurge"});
  f.publish(plan);

  f.deliver(plan);
}

TEST_CASE("DA to AA: every 'in' type arrives in accounts_in", "[e2e][flow]") {
  flow f{"flow-da-aa", node_type::debtors_agent, node_type::accounting_authority};
  CHECK(f.queue == "da.1234abcd");

  auto plan = plan_da_to_aa(in_types, per_type);
  // §8: PrepareTransfer debtor 0x1234abcd00000001, creditor 0, sent
  // unchanged; the AA's key is key(debtor, 0) of §5.
  const smp_ids ids{0x1234abcd00000001, 0, "issuing", 0x1234abcd00000001};
  plan.push_back(literal("PrepareTransfer", ids, "",
                         {"accounts_in", "1.0.0.0.0.1.1.1.0.1.1.0.0.0.1.1.1.0.1.0.0.0.0.1", "PrepareTransfer",
                          smp_body("PrepareTransfer", ids),
                          {"message-type:S:PrepareTransfer", "debtor-id:l:1311862288428302337", "creditor-id:b:0",
                           "coordinator-id:l:1311862288428302337", "coordinator-type:S:issuing"}}));
  f.publish(plan);

  f.deliver(plan);
}

TEST_CASE("AA to DA: every 'out' type arrives in debtors_in", "[e2e][flow]") {
  flow f{"flow-aa-da", node_type::accounting_authority, node_type::debtors_agent};

  auto plan = plan_aa_to_da(out_types, per_type);
  // §8: AccountPurge debtor 0x1234abcd00000001, creditor 0, sent unchanged;
  // the DA's key is key(debtor) of §5.
  const smp_ids ids{0x1234abcd00000001, 0, "", 0};
  plan.push_back(literal("AccountPurge", ids, "12.34.ab.cd.00.00.00.01",
                         {"debtors_in", "1.0.0.1.1.1.1.0.1.1.1.0.1.0.1.0.0.0.1.0.1.0.1.0", "AccountPurge",
                          smp_body("AccountPurge", ids),
                          {"message-type:S:AccountPurge", "debtor-id:l:1311862288428302337", "creditor-id:b:0"}}));
  // to_debtors binds only this DA's subnet (key 12.34.ab.cd.00.#).
  f.out.publish("to_debtors", "12.34.ab.cd.01.00.00.01",
                smp_body("AccountPurge", {0x1234abcd01000001, 0, "", 0}), {.type = "AccountPurge"});
  f.publish(plan);

  f.deliver(plan);
}

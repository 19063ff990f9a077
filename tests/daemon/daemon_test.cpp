// Issue 9: the supervisor daemon (`swpt-stomp run`) against real node
// databases, real TLS and the real broker, reacting to the files as they
// change under it (docs/daemon.md).
#include "broker.hpp"
#include "flow.hpp"
#include "messages.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>
#include <fstream>

using namespace swpt::e2e;
using swpt::node_type;
namespace fixtures = swpt::fixtures;

namespace {

// Short delays, so that the tests see reactions within seconds.
std::filesystem::path daemon_config(scenario& s, const fixtures::node& n, const std::string& extra,
                                    const std::string& shutdown) {
  const auto path = s.dir() / fmt::format("{}-daemon.yaml", n.name);
  std::ofstream{path} << "rescan_interval: 500ms\n"
                      << "clients:\n  backoff_initial: 200ms\n  backoff_max: 1s\n"
                      << "  refused_backoff_initial: 500ms\n  refused_backoff_max: 2s\n  standby_retry: 500ms\n"
                      << "timeouts:\n  shutdown: " << shutdown << "\n"
                      << extra;
  return path;
}

std::unique_ptr<child_process> start_daemon(scenario& s, const fixtures::node& n, const std::string& extra = "",
                                            const std::string& shutdown = "8s") {
  auto d = s.start(n, {"run", "--config", daemon_config(s, n, extra, shutdown).string()});
  if (!d->wait_for_log("Ready:", 30s))
    throw std::runtime_error(fmt::format("the daemon of {} did not get ready: {}", n.name, d->describe()));
  return d;
}

std::string queue_for(const fixtures::node& peer, int n = 0) { return fmt::format("peer.{}.{}", peer.id, n); }

// Takes what comes into the receiver's test queue until `plan` came, and
// compares.
void expect_delivered(scenario& s, const fixtures::node& receiver, const std::vector<planned>& plan,
                      const std::vector<child_process*>& daemons) {
  std::vector<message> got;
  const bool came = take_until(s.broker_url(receiver), received_queue, got,
                               [&] { return got.size() >= plan.size(); }, 60s);
  for (auto* d : daemons) INFO(d->describe(60));
  REQUIRE(came);
  const comparison c = compare(expectations(plan), got, /*at_least_once=*/true);
  INFO(c.summary());
  CHECK(c.ok());
}

void stop_cleanly(child_process& d) {
  const auto status = d.stop(20s);
  INFO(d.describe(40));
  CHECK(status.exited_with(0));
}

}  // namespace

TEST_CASE("two daemons, AA and CA, exchange messages both ways", "[daemon]") {
  scenario s{"d-both"};
  broker_client aa_in{s.broker_url(s.aa())}, ca_in{s.broker_url(s.ca())};
  bind_inbound(aa_in, node_type::accounting_authority);
  bind_inbound(ca_in, node_type::creditors_agent);
  s.configure_queue(s.ca(), s.aa(), queue_for(s.aa()));
  s.configure_queue(s.aa(), s.ca(), queue_for(s.ca()));
  const auto to_aa = plan_ca_to_aa(in_types, 10);
  const auto to_ca = plan_aa_to_ca(out_types, 10);
  publish_plan(ca_in, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, to_aa);
  publish_plan(aa_in, main_exchange(node_type::accounting_authority, node_type::creditors_agent).name, to_ca);

  auto aa = start_daemon(s, s.aa());
  auto ca = start_daemon(s, s.ca());
  expect_delivered(s, s.aa(), to_aa, {aa.get(), ca.get()});
  expect_delivered(s, s.ca(), to_ca, {aa.get(), ca.get()});
  CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue_for(s.aa())) == 0; }, 20s, 200ms));
  CHECK(wait_until([&] { return s.queue_depth(s.aa(), queue_for(s.ca())) == 0; }, 20s, 200ms));
  stop_cleanly(*ca);
  stop_cleanly(*aa);
}

TEST_CASE("a peer activated live: messages flow, queues grow, the manifest moves", "[daemon]") {
  scenario s{"d-live"};
  auto& aa = s.aa();
  // The CA knows the AA, but not as active yet: ACTIVE comes under the
  // running daemon, after the peer's files (fixtures::network writes
  // them one by one, and ACTIVE last).
  s.net().reset_activation(s.ca(), aa);
  broker_client aa_in{s.broker_url(aa)}, ca_out{s.broker_url(s.ca())};
  bind_inbound(aa_in, node_type::accounting_authority);
  s.configure_queue(s.ca(), aa, queue_for(aa));
  auto ca = start_daemon(s, s.ca());
  auto aa_daemon = start_daemon(s, aa);
  const auto plan = plan_ca_to_aa({"ConfigureAccount"}, 5);
  publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, plan);
  s.net().activate(s.ca(), aa);
  expect_delivered(s, aa, plan, {ca.get(), aa_daemon.get()});

  SECTION("queues.txt from 1 to 3: three clients") {
    for (int n = 1; n < 3; ++n) s.configure_queue(s.ca(), aa, queue_for(aa, n));
    const auto dir = s.net().peer_dir(s.ca(), aa);
    std::ofstream{dir / "queues.txt.tmp"} << "3\n";
    std::filesystem::rename(dir / "queues.txt.tmp", dir / "queues.txt");
    for (int n = 1; n < 3; ++n) {
      const auto line = fmt::format("Connected to peer {}: sending the messages of queue {}.", aa.id, queue_for(aa, n));
      INFO(ca->describe(60));
      CHECK(ca->wait_for_log(line, 20s));
    }
  }
  SECTION("stomp.toml changed to another port: the clients move") {
    aa_daemon->stop(20s);
    s.net().set_port(aa, free_ports(1).front());
    aa_daemon = start_daemon(s, aa);
    const auto more = plan_ca_to_aa({"PrepareTransfer"}, 5, 1000);
    publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, more);
    expect_delivered(s, aa, more, {ca.get(), aa_daemon.get()});
    CHECK(ca->log().find("its files changed") != std::string::npos);
  }
  stop_cleanly(*ca);
  stop_cleanly(*aa_daemon);
}

TEST_CASE("deactivation: clients stop, the live connection gets an ERROR, the queues are drained", "[daemon]") {
  scenario s{"d-deac"};
  auto& deac = s.add_node("aa-deac", node_type::accounting_authority, "deac00ed");
  s.net().make_peers(deac, s.ca());
  s.net().activate(deac, s.ca());
  s.net().activate(s.ca(), deac);
  broker_client ca_in{s.broker_url(s.ca())};
  bind_inbound(ca_in, node_type::creditors_agent);
  const auto queue = queue_for(deac);
  s.configure_queue(s.ca(), deac, queue);
  s.configure_queue(deac, s.ca(), queue_for(s.ca()));
  auto ca = start_daemon(s, s.ca());
  auto other = start_daemon(s, deac);
  // The deactivated AA's client is connected to the CA's server.
  REQUIRE(other->wait_for_log(fmt::format("Connected to peer {}", s.ca().id), 20s));
  const auto peer_key = "de.ac.00.ed.00.00.00.01";
  const std::string configure =
      R"({"type": "ConfigureAccount", "debtor_id": -2401543483388067839, "creditor_id": 8864812498945, )"
      R"("negligible_amount": 1000.0, "config_data": "TEST_CONFIG", "config_flags": 666, "seqnum": 1234, )"
      R"("ts": "2023-01-01T12:00:00+00:00"})";
  other->stop(20s);  // its queue at the CA fills while nothing takes it
  other = start_daemon(s, deac);
  REQUIRE(other->wait_for_log(fmt::format("Connected to peer {}", s.ca().id), 20s));
  s.net().deactivate(s.ca(), deac);
  ca_in.publish("creditors_out", peer_key, configure, {.type = "ConfigureAccount"});
  ca_in.publish("creditors_out", peer_key, configure, {.type = "ConfigureAccount"});
  ca_in.confirm();

  INFO(ca->describe(60));
  INFO(other->describe(60));
  CHECK(other->wait_for_log("The peer has been deactivated.", 20s));
  CHECK(ca->wait_for_log(fmt::format("Starting the drainer of queue {}", queue), 20s));
  std::vector<message> got;
  CHECK(take_until(s.broker_url(s.ca()), received_queue, got, [&] { return got.size() >= 2; }, 30s));
  for (const auto& m : got) {
    CHECK(m.type == "RejectedConfig");
    CHECK(m.exchange == "creditors_in");
  }
  CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue) == 0; }, 20s, 200ms));
  stop_cleanly(*ca);
}

TEST_CASE("a broken peer directory is reported once and disturbs no other peer", "[daemon]") {
  scenario s{"d-broken"};
  broker_client aa_in{s.broker_url(s.aa())}, ca_out{s.broker_url(s.ca())};
  bind_inbound(aa_in, node_type::accounting_authority);
  s.configure_queue(s.ca(), s.aa(), queue_for(s.aa()));
  auto& aa2 = s.add_node("aa2", node_type::accounting_authority, "b2b2b2b2");
  s.net().make_peers(aa2, s.ca());
  s.net().activate(s.ca(), aa2);
  auto aa = start_daemon(s, s.aa());
  auto ca = start_daemon(s, s.ca());
  // aa2's manifest is broken under the running CA daemon.
  const auto manifest = s.net().peer_dir(s.ca(), aa2) / "nodeinfo" / "stomp.toml";
  std::ofstream{manifest, std::ios::trunc} << "servers = [[[\n";
  REQUIRE(ca->wait_for_log(fmt::format("Peer {} is broken", aa2.id), 20s));

  const auto plan = plan_ca_to_aa(in_types, 5);
  publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, plan);
  expect_delivered(s, s.aa(), plan, {aa.get(), ca.get()});
  // The delivery took several scans (every 500 ms): still one report.
  INFO(ca->describe(60));
  CHECK(count_lines_with(ca->log(), fmt::format("Peer {} is broken", aa2.id)) == 1);
  stop_cleanly(*ca);
  stop_cleanly(*aa);
}

TEST_CASE("a second SIGTERM ends at once a graceful stop that waits for a silent peer", "[daemon]") {
  scenario s{"d-abort"};
  auto& aa = s.aa();
  const auto queue = queue_for(aa);
  s.configure_queue(s.ca(), aa, queue);
  auto server = s.start_server(aa);
  // Far longer than the test's bound below: only the second signal can
  // end the stop in time.
  auto ca = start_daemon(s, s.ca(), "", "120s");
  INFO(ca->describe(60));
  REQUIRE(ca->wait_for_log(fmt::format("Connected to peer {}: sending the messages of queue {}", aa.id, queue), 20s));
  // The peer's server stops answering, its connection stays open: no
  // RECEIPT comes for what the client sends now, nor for its DISCONNECT.
  server->signal(SIGSTOP);
  broker_client ca_out{s.broker_url(s.ca())};
  const auto plan = plan_ca_to_aa({"ConfigureAccount"}, 5);
  publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, plan);

  ca->signal(SIGTERM);
  REQUIRE(ca->wait_for_log("Received SIGTERM signal. Exiting...", 10s));
  CHECK_FALSE(ca->wait(3s));  // the graceful stop waits for the silent peer
  ca->signal(SIGTERM);
  const auto status = ca->wait(15s);
  server->signal(SIGCONT);
  REQUIRE(status);
  CHECK_FALSE(status->signaled);
  CHECK(ca->log().find("Exiting at once.") != std::string::npos);
  // Nothing was confirmed: every message is back in the queue.
  CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue) == plan.size(); }, 20s, 200ms));
}

TEST_CASE("activation: manage declares a registered peer's queue, creates ACTIVE, and messages flow", "[daemon]") {
  scenario s{"d-manage"};
  auto& aa = s.aa();
  s.net().reset_activation(s.ca(), aa);  // registered: sub-ca.crt, no ACTIVE; no queue declared
  broker_client aa_in{s.broker_url(aa)}, ca_out{s.broker_url(s.ca())};
  bind_inbound(aa_in, node_type::accounting_authority);
  auto aa_daemon = start_daemon(s, aa);
  auto ca = start_daemon(s, s.ca(), "activation: manage\n");
  INFO(ca->describe(60));
  REQUIRE(ca->wait_for_log(fmt::format("Peer {}: its 1 queue(s) are declared and it is active.", aa.id), 30s));
  CHECK(s.net().state(s.ca(), aa) == fixtures::peer_state::active);
  REQUIRE(ca->wait_for_log(fmt::format("Connected to peer {}: sending the messages of queue {}", aa.id, queue_for(aa)),
                           20s));
  // Published only now: the queue and its binding exist.
  const auto plan = plan_ca_to_aa(in_types, 3);
  publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, plan);
  expect_delivered(s, aa, plan, {ca.get(), aa_daemon.get()});
  CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue_for(aa)) == 0; }, 20s, 200ms));
  stop_cleanly(*ca);
  stop_cleanly(*aa_daemon);
}

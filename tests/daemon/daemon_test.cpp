// Issue 9: the supervisor daemon (`swpt-stomp run`) against real node
// databases, real TLS and the real broker, reacting to the files as they
// change under it (docs/daemon.md).
#include "broker.hpp"
#include "flow.hpp"
#include "messages.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <sstream>

using namespace swpt::e2e;
using swpt::node_type;
namespace fixtures = swpt::fixtures;

namespace {

// What a test changes in the daemon's YAML.
struct daemon_yaml {
  // Short delays, so that the tests see reactions within seconds.
  std::string clients = "  backoff_initial: 200ms\n  backoff_max: 1s\n";
  std::string extra{};  // more sections
  std::string shutdown = "8s";
};

std::filesystem::path daemon_config(scenario& s, const fixtures::node& n, const daemon_yaml& y) {
  const auto path = s.dir() / fmt::format("{}-daemon.yaml", n.name);
  std::ofstream{path} << "rescan_interval: 500ms\n"
                      << "clients:\n"
                      << y.clients
                      << "  refused_backoff_initial: 500ms\n  refused_backoff_max: 2s\n  standby_retry: 500ms\n"
                      << "timeouts:\n  shutdown: " << y.shutdown << "\n"
                      << y.extra;
  return path;
}

std::unique_ptr<child_process> start_daemon(scenario& s, const fixtures::node& n, const daemon_yaml& y = {}) {
  auto d = s.start(n, {"run", "--config", daemon_config(s, n, y).string()});
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

// The drainer's answers to `count` ConfigureAccount messages of the
// deactivated AA, taken from the CA's test queue.
void expect_rejected(scenario& s, std::size_t count) {
  std::vector<message> got;
  CHECK(take_until(s.broker_url(s.ca()), received_queue, got, [&] { return got.size() >= count; }, 30s));
  for (const auto& m : got) {
    CHECK(m.type == "RejectedConfig");
    CHECK(m.exchange == "creditors_in");
  }
}

// The delays of the "Trying again in X s." lines of one queue's units, in
// the order of the log, before and after the first line that contains
// `mark`. A last line still being written is left out.
struct retry_delays {
  std::vector<double> before, after;
};

retry_delays retries_around(const std::string& log, const std::string& queue, const std::string& mark) {
  constexpr std::string_view retry = "Trying again in ";
  const auto unit = fmt::format("queue={}]", queue);
  retry_delays r;
  bool marked = false;
  std::istringstream in{log};
  for (std::string line; std::getline(in, line) && !in.eof();) {
    if (!marked && line.find(mark) != std::string::npos) {
      marked = true;
      continue;
    }
    const auto at = line.find(retry);
    if (at == std::string::npos || line.find(unit) == std::string::npos) continue;
    (marked ? r.after : r.before).push_back(std::stod(line.substr(at + retry.size())));
  }
  return r;
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
  // drainers.stop_when_empty: what becomes of a message that comes after
  // the queue was drained (docs/daemon.md §2).
  const bool stop_when_empty = GENERATE(false, true);
  CAPTURE(stop_when_empty);
  scenario s{stop_when_empty ? "d-deac-stop" : "d-deac"};
  auto& deac = s.add_node("aa-deac", node_type::accounting_authority, "deac00ed");
  s.net().make_peers(deac, s.ca());
  s.net().activate(deac, s.ca());
  s.net().activate(s.ca(), deac);
  broker_client ca_in{s.broker_url(s.ca())};
  bind_inbound(ca_in, node_type::creditors_agent);
  const auto queue = queue_for(deac);
  s.configure_queue(s.ca(), deac, queue);
  s.configure_queue(deac, s.ca(), queue_for(s.ca()));
  auto ca = start_daemon(s, s.ca(), {.extra = fmt::format("drainers:\n  stop_when_empty: {}\n", stop_when_empty)});
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
  REQUIRE(ca->wait_for_log(fmt::format("Starting the drainer of queue {}", queue), 20s));
  const auto drainer_seen = std::chrono::steady_clock::now();
  expect_rejected(s, 2);
  CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue) == 0; }, 20s, 200ms));

  if (stop_when_empty) {
    // The first look at the queue (5 s after the start) finds it empty.
    CHECK(ca->wait_for_log(fmt::format("Queue {} is empty: the drainer stops.", queue), 20s));
    REQUIRE(ca->wait_for_log(fmt::format("The drainer of queue {} has ended.", queue), 20s));
    ca_in.publish("creditors_out", peer_key, configure, {.type = "ConfigureAccount"});
    ca_in.confirm();
    // Nothing takes it: the drainer has ended, and no other starts.
    CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue) == 1; }, 20s, 200ms));
    CHECK(count_lines_with(ca->log(), fmt::format("Starting the drainer of queue {}", queue)) == 1);
  } else {
    // Past the moment a drainer that stops when empty would have found
    // the queue empty (its first look, 5 s after its start): a condition
    // on time, the point of this case, not a wait for an event.
    CHECK(wait_until([&] { return std::chrono::steady_clock::now() - drainer_seen > 7s; }, 10s, 100ms));
    ca_in.publish("creditors_out", peer_key, configure, {.type = "ConfigureAccount"});
    ca_in.confirm();
    expect_rejected(s, 1);
    CHECK(wait_until([&] { return s.queue_depth(s.ca(), queue) == 0; }, 20s, 200ms));
    CHECK(ca->log().find("the drainer stops") == std::string::npos);
  }
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
  auto ca = start_daemon(s, s.ca(), {.shutdown = "120s"});
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
  auto ca = start_daemon(s, s.ca(), {.extra = "activation: manage\n"});
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

TEST_CASE("a connection that lasted clients.healthy_after starts the client's backoff again", "[daemon]") {
  scenario s{"d-healthy"};
  auto& aa = s.aa();
  const auto queue = queue_for(aa);
  s.configure_queue(s.ca(), aa, queue);
  broker_client aa_in{s.broker_url(aa)}, ca_out{s.broker_url(s.ca())};
  bind_inbound(aa_in, node_type::accounting_authority);
  // The ceilings: 0.2 s doubling up to 30 s (docs/daemon.md §2).
  constexpr double backoff_initial = 0.2, backoff_max = 30;
  const auto ceiling = [&](std::size_t failures) {
    return std::min(backoff_max, backoff_initial * std::exp2(double(failures)));
  };
  constexpr auto healthy_after = 1s;
  auto ca = start_daemon(s, s.ca(), {.clients = "  backoff_initial: 200ms\n  backoff_max: 30s\n  healthy_after: 1s\n"});
  INFO(ca->describe(80));
  const auto connected = fmt::format("Connected to peer {}: sending the messages of queue {}.", aa.id, queue);
  const auto retries = [&] { return retries_around(ca->log(), queue, connected); };

  // Nobody listens at the AA's port: the client fails again and again, and
  // its ceiling grows to 0.2 * 2^5 = 6.4 s at least. Without the reset, the
  // three delays after the healthy connection would be drawn below 6.4,
  // 12.8 and 25.6 s (or more): all three below 0.25, 0.45 and 0.85 s (what
  // the log prints as at most 0.2, 0.4 and 0.8) with a probability of at
  // most 0.25/6.4 * 0.45/12.8 * 0.85/25.6, about 5e-5; the first alone, 4%.
  constexpr std::size_t failures = 5;
  REQUIRE(wait_until([&] { return retries().before.size() >= failures; }, 60s, 100ms));
  auto server = s.start_server(aa);
  INFO(server->describe(40));
  REQUIRE(ca->wait_for_log(connected, 60s));
  const auto up = std::chrono::steady_clock::now();  // the connection is up since before this
  // A message goes through the connection...
  const auto plan = plan_ca_to_aa({"ConfigureAccount"}, 1);
  publish_plan(ca_out, main_exchange(node_type::creditors_agent, node_type::accounting_authority).name, plan);
  expect_delivered(s, aa, plan, {ca.get(), server.get()});
  // ...and the connection is still up after healthy_after (no retry came).
  CHECK(wait_until([&] { return std::chrono::steady_clock::now() - up > healthy_after + 500ms; }, 10s, 100ms));
  REQUIRE(retries().after.empty());
  server->stop(20s);  // the peer goes away: the connection ends, and nobody listens again

  REQUIRE(wait_until([&] { return retries().after.size() >= 3; }, 60s, 100ms));
  const auto r = retries();
  // Every delay is below its ceiling: up to 0.2 * 2^n after n failures...
  for (std::size_t n = 0; n < r.before.size(); ++n) {
    CAPTURE(n, r.before[n]);
    CHECK(r.before[n] <= ceiling(n) + 1e-9);
  }
  // ...and after the healthy connection, n counts from 0 again.
  for (std::size_t n = 0; n < 3; ++n) {
    CAPTURE(r.before.size(), n, r.after[n]);
    CHECK(r.after[n] <= ceiling(n) + 1e-9);
  }
  stop_cleanly(*ca);
}

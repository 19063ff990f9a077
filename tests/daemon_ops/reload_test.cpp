// Issue 9, SIGHUP: the daemon loads its file again and the server's
// certificate and key; a new TLS connection gets the new certificate while
// the connections that were up keep carrying messages (no reconnection);
// a bad file keeps the running configuration and the log says why.
#include "daemon_world.hpp"
#include "probe.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>

using namespace swpt::e2e;

namespace {

constexpr int batch = 20;  // messages of each direction per step

// A step's messages both ways, IDs from `first` on, published and awaited.
struct both_ways {
  pair_world& w;
  sink at_aa{w.s, w.s.aa()};
  sink at_ca{w.s, w.s.ca()};
  int first = 1;

  bool deliver(duration limit = 30s) {
    const auto to_aa = plan_ca_to_aa({"PrepareTransfer"}, batch, first);
    const auto to_ca = plan_aa_to_ca({"AccountUpdate"}, batch, first);
    first += batch;
    publish(w.s, w.s.ca(), w.s.aa(), to_aa);
    publish(w.s, w.s.aa(), w.s.ca(), to_ca);
    return at_aa.take([&] { return at_aa.has_all(to_aa); }, limit) &&
           at_ca.take([&] { return at_ca.has_all(to_ca); }, limit);
  }
};

std::string certificate_seen(pair_world& w) {
  return server_certificate_der(w.s.aa().port, w.s.net(), w.s.ca(), w.s.aa());
}

}  // namespace

TEST_CASE("SIGHUP: a renewed certificate for new connections, the old connections keep flowing",
          "[daemon-ops][reload]") {
  pair_world w{"reload"};
  daemon_process aa{w.s, w.s.aa(), "aa"};
  daemon_process ca{w.s, w.s.ca(), "ca"};
  const auto show = [&] { return aa.describe() + "\n" + ca.describe(); };
  DAEMON_REQUIRE(aa.wait_ready(), show());
  DAEMON_REQUIRE(ca.wait_ready(), show());

  both_ways flow{w};
  DAEMON_REQUIRE(flow.deliver(), show());
  // The connections up now: the CA's client to the AA's server, the AA's
  // client to the CA's server.
  const auto into_aa = connections_to(ca.process().pid(), w.s.aa().port);
  const auto out_of_aa = connections_to(aa.process().pid(), w.s.ca().port);
  REQUIRE(into_aa.size() == 1);
  REQUIRE(out_of_aa.size() == 1);
  const std::string old_certificate = w.s.aa().server.cert.to_der();
  REQUIRE(certificate_seen(w) == old_certificate);

  // A renewed key and certificate in the same files, and a changed file.
  w.s.net().reissue_server_cert(w.s.aa());
  const std::string new_certificate = w.s.aa().server.cert.to_der();
  REQUIRE(new_certificate != old_certificate);
  aa.write_config({.log_level = "debug", .client_buffer = 50});
  const std::size_t before_reload = aa.notify().received().size();
  aa.process().signal(SIGHUP);

  const auto reloading = aa.notify().wait_for("RELOADING=1", 10s, before_reload);
  DAEMON_REQUIRE(reloading, show());
  DAEMON_REQUIRE(aa.wait_ready(10s, *reloading + 1), show());
  // READY=1 after a reload says it has been applied: the next handshake
  // gets the new certificate.
  DAEMON_CHECK(certificate_seen(w) == new_certificate, show());

  // Messages queued after the reload travel over the same connections.
  DAEMON_CHECK(flow.deliver(), show());
  CHECK(connections_to(ca.process().pid(), w.s.aa().port) == into_aa);
  CHECK(connections_to(aa.process().pid(), w.s.ca().port) == out_of_aa);

  // A bad file: the running configuration stays and the log names the key.
  const std::size_t before_bad = aa.notify().received().size();
  aa.write_config_text(daemon_yaml(w.s.aa(), w.s.broker_url(w.s.aa()), {.log_level = "debug"}) +
                       "drainers:\n  stop_when_empty: perhaps\n");
  aa.process().signal(SIGHUP);
  DAEMON_CHECK(aa.process().wait_for_log("drainers.stop_when_empty", 10s), show());
  // It still runs: no STOPPING=1, the renewed certificate, the same connections.
  aa.notify().drain();
  for (std::size_t i = before_bad; i < aa.notify().received().size(); ++i)
    DAEMON_CHECK(!aa.notify().received()[i].has("STOPPING=1"), show());
  DAEMON_CHECK(aa.process().running(), show());
  DAEMON_CHECK(certificate_seen(w) == new_certificate, show());
  DAEMON_CHECK(flow.deliver(), show());
  CHECK(connections_to(ca.process().pid(), w.s.aa().port) == into_aa);
  CHECK(connections_to(aa.process().pid(), w.s.ca().port) == out_of_aa);
  DAEMON_CHECK(aa.process().running() && ca.process().running(), show());
}

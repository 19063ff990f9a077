// Issue 9, activation taken back and given again: a peer's ACTIVE file
// removed (the peer is then registered, neither active nor deactivated)
// stops its client; created again, the client starts and what was queued
// meanwhile flows within 5 s. Round after round, the daemon keeps running.
#include "daemon_world.hpp"
#include "probe.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace swpt::e2e;

namespace {

constexpr int rounds = 5;
constexpr auto flow_bound = std::chrono::seconds{5};

}  // namespace

TEST_CASE("ACTIVE removed and created again, round after round: the client stops and starts",
          "[daemon-ops][activation]") {
  pair_world w{"reactivate"};
  daemon_process aa{w.s, w.s.aa(), "aa"};
  daemon_process ca{w.s, w.s.ca(), "ca"};
  const auto show = [&] { return aa.describe() + "\n" + ca.describe(); };
  DAEMON_REQUIRE(aa.wait_ready() && ca.wait_ready(), show());
  DAEMON_REQUIRE(wait_until([&] { return connections_to(aa.process().pid(), w.s.ca().port).size() == 1; }, 10s),
                 show());
  sink at_ca{w.s, w.s.ca()};

  for (int round = 1; round <= rounds; ++round) {
    INFO(fmt::format("round {}", round));
    w.s.net().reset_activation(w.s.aa(), w.s.ca());
    DAEMON_REQUIRE(wait_until([&] { return connections_to(aa.process().pid(), w.s.ca().port).empty(); }, 10s),
                   show());
    const auto plan = plan_aa_to_ca({"AccountUpdate"}, 1, round);
    publish(w.s, w.s.aa(), w.s.ca(), plan);
    const auto activated = std::chrono::steady_clock::now();
    w.s.net().activate(w.s.aa(), w.s.ca());
    const bool came = at_ca.take([&] { return at_ca.has_all(plan); }, flow_bound + 5s);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - activated);
    INFO(fmt::format("the message came {} ms after ACTIVE", took.count()));
    DAEMON_REQUIRE(came, show());
    CHECK(took <= flow_bound);
    DAEMON_REQUIRE(aa.process().running(), show());
  }
  DAEMON_CHECK(aa.process().running() && ca.process().running(), show());
}

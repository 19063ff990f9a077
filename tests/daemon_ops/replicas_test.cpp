// Issue 9, replicas: two daemons serve one node (one database, one broker
// vhost, their listeners on different ports). Their clients consume
// exclusively, so one forwards the queue while the other stands by; when
// the forwarding one is killed (SIGKILL) in the middle of a stream, the
// other takes the queue over: flow resumes within 10 s and nothing is lost.
#include "daemon_world.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>

using namespace swpt::e2e;

namespace {

constexpr int stream_length = 6000;
constexpr std::size_t chunk = 20;              // published every `pace`:
constexpr auto pace = std::chrono::milliseconds{100};  // 200 messages a second, a 30 s stream
constexpr auto takeover_bound = std::chrono::seconds{10};

// The CA's applications publish at a steady pace while the test waits, so
// that the stream runs across the kill and what is published after it can
// only come through the surviving replica.
struct feeder {
  explicit feeder(pair_world& w) : out{w.s.broker_url(w.s.ca())} {}

  void feed() {
    const auto now = std::chrono::steady_clock::now();
    if (published == plan.size() || now < next) return;
    const std::size_t n = std::min(chunk, plan.size() - published);
    publish_plan(out, "creditors_out", {plan.begin() + published, plan.begin() + published + n});
    published += n;
    next = now + pace;
  }

  const std::vector<planned> plan = plan_ca_to_aa({"PrepareTransfer"}, stream_length);
  broker_client out;
  std::size_t published = 0;
  std::chrono::steady_clock::time_point next{};
};

}  // namespace

TEST_CASE("two replicas of a node: the survivor of a SIGKILL takes the queue over within 10 s",
          "[daemon-ops][replicas]") {
  pair_world w{"replicas"};
  daemon_process aa{w.s, w.s.aa(), "aa"};
  daemon_process first{w.s, w.s.ca(), "ca-1"};
  feeder in{w};
  sink at_aa{w.s, w.s.aa()};
  const auto show = [&] {
    return fmt::format("{} published, {} distinct came\n{}\n{}", in.published, at_aa.distinct(), aa.describe(),
                       first.describe());
  };
  const auto fed = [&](const std::function<bool()>& done) {
    return [&, done] {
      in.feed();
      return done();
    };
  };
  DAEMON_REQUIRE(aa.wait_ready() && first.wait_ready(), show());
  DAEMON_REQUIRE(at_aa.take(fed([&] { return at_aa.distinct() >= 200; }), 60s), show());

  // The second replica: same database and vhost, its own listener port.
  daemon_process second{w.s, w.s.ca(), "ca-2", {.ports = {free_ports(1).front()}}};
  const auto show_all = [&] { return show() + "\n" + second.describe(); };
  DAEMON_REQUIRE(second.wait_ready(), show_all());
  // Only one consumer of the queue; the flow goes on meanwhile.
  CHECK(queue_consumers(w.s, w.s.ca(), w.ca_queue) == 1);
  DAEMON_REQUIRE(at_aa.take(fed([&] { return at_aa.distinct() >= 1000; }), 60s), show_all());
  DAEMON_REQUIRE(in.published < in.plan.size(), show_all());

  first.process().signal(SIGKILL);
  REQUIRE(first.process().wait(10s).has_value());
  const auto killed_at = std::chrono::steady_clock::now();
  const std::size_t published_at_kill = in.published;
  // A message published after the kill can only come through the second replica.
  const auto after_kill = [&] {
    at_aa.distinct();
    for (std::size_t i = published_at_kill; i < in.published; ++i)
      if (at_aa.bodies.count(in.plan[i].expected.body) != 0) return true;
    return false;
  };
  const bool resumed = at_aa.take(fed(after_kill), takeover_bound + 5s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  INFO(fmt::format("the flow resumed {} ms after the kill", took.count()));
  DAEMON_REQUIRE(resumed, show_all());
  CHECK(took <= takeover_bound);

  // The rest of the stream, all of it through the survivor.
  const bool came = at_aa.take(fed([&] { return at_aa.has_all(in.plan); }), 120s);
  const bool emptied = came && wait_until([&] { return w.s.queue_depth(w.s.ca(), w.ca_queue) == 0; }, 30s, 200ms);
  at_aa.take_rest();
  DAEMON_CHECK(came && emptied, show_all());
  const comparison c = compare(expectations(in.plan), at_aa.got, true);
  INFO(c.summary());
  CHECK(c.ok());
  CHECK(w.s.queue_depth(w.s.ca(), w.ca_queue + ".XQ") == 0);
  CHECK(queue_consumers(w.s, w.s.ca(), w.ca_queue) == 1);
  DAEMON_CHECK(second.process().running() && aa.process().running(), show_all());
}

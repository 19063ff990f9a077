// Issue 9, SIGTERM: a daemon stopped in the middle of a stream ends
// gracefully (exit 0 within its shutdown bound) and, started again,
// finishes the stream: every message arrives at least once, none is lost,
// the queue and its dead-letter queue end empty.
#include "daemon_world.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>

using namespace swpt::e2e;

namespace {

// Long enough to be still running when the test stops a daemon once
// `stop_after` messages have left the queue (checked: messages must still
// be waiting then). The queue's own count tells, not the test queue: the
// test reads that one more slowly than the daemons fill it.
constexpr int stream_length = 5000;
constexpr std::uint32_t stop_after = 1000;

// CA -> AA: the CA's client queue full, the AA's test queue the sink.
struct stream {
  explicit stream(pair_world& world) : w{world} {
    publish(w.s, w.s.ca(), w.s.aa(), plan);
    REQUIRE(w.s.queue_depth(w.s.ca(), w.ca_queue) == plan.size());
  }

  std::uint64_t waiting() { return w.s.queue_depth(w.s.ca(), w.ca_queue); }
  // Whether the CA's client has taken `n` messages from the queue (acknowledged or not).
  bool taken(std::uint32_t n) {
    const auto ready = source.message_count(w.ca_queue);
    return ready && *ready + n <= plan.size();
  }

  pair_world& w;
  const std::vector<planned> plan = plan_ca_to_aa({"PrepareTransfer"}, stream_length);
  sink at_aa{w.s, w.s.aa()};
  broker_client source{w.s.broker_url(w.s.ca())};
};

// Stops `victim` gracefully once the stream has begun, starts it again and
// waits for the rest.
void stop_and_start_again(pair_world& w, stream& st, daemon_process& victim, daemon_process& other) {
  const auto show = [&] {
    return fmt::format("{} distinct of {} came\n{}\n{}", st.at_aa.distinct(), stream_length, victim.describe(),
                       other.describe());
  };
  DAEMON_REQUIRE(victim.wait_ready() && other.wait_ready(), show());
  DAEMON_REQUIRE(wait_until([&] { return st.taken(stop_after); }, 60s, 20ms), show());

  victim.process().signal(SIGTERM);
  // timeouts.shutdown (8 s by default) bounds the graceful end.
  const auto end = victim.process().wait(20s);
  DAEMON_REQUIRE(end.has_value(), show());
  DAEMON_CHECK(end->exited_with(0), show());
  const std::uint64_t left = st.waiting();
  INFO(fmt::format("{} of {} messages were waiting when {} had stopped", left, stream_length, victim.node().name));
  REQUIRE(left > 0);

  const std::size_t ready_before = victim.notify().received().size();
  victim.restart();
  DAEMON_REQUIRE(victim.wait_ready(30s, ready_before), show());
  const bool came = st.at_aa.take([&] { return st.at_aa.has_all(st.plan); }, 180s);
  const bool emptied = came && wait_until([&] { return st.waiting() == 0; }, 30s, 200ms);
  st.at_aa.take_rest();
  DAEMON_CHECK(came, show());
  DAEMON_CHECK(emptied, show());
  const comparison c = compare(expectations(st.plan), st.at_aa.got, true);
  INFO(c.summary());
  CHECK(c.ok());
  CHECK(w.s.queue_depth(w.s.ca(), w.ca_queue + ".XQ") == 0);
  DAEMON_CHECK(victim.process().running() && other.process().running(), show());
}

// The AA and CA daemons over a full CA queue; the sending (CA) or the
// receiving (AA) one is stopped and started again.
void stream_across_a_restart(const std::string& name, bool stop_sender) {
  pair_world w{name};
  stream st{w};
  daemon_process aa{w.s, w.s.aa(), "aa"};
  daemon_process ca{w.s, w.s.ca(), "ca"};
  if (stop_sender)
    stop_and_start_again(w, st, ca, aa);
  else
    stop_and_start_again(w, st, aa, ca);
}

}  // namespace

TEST_CASE("SIGTERM to the sending daemon mid-stream, then start again: nothing lost", "[daemon-ops][sigterm]") {
  stream_across_a_restart("term-sender", true);
}

TEST_CASE("SIGTERM to the receiving daemon mid-stream, then start again: nothing lost", "[daemon-ops][sigterm]") {
  stream_across_a_restart("term-receiver", false);
}

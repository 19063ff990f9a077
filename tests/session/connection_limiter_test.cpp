// The caps on handshakes and connections (connection_limiter), and the
// once-a-period tally of what unauthenticated clients make happen.

#include "session/connection_limiter.hpp"
#include "session/event_tally.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace swpt::session;
using namespace std::chrono_literals;

namespace {

const auto flooder = asio::ip::make_address("127.0.0.2");
const auto peer = asio::ip::make_address("127.0.0.1");

}  // namespace

TEST_CASE("a source at its handshake cap is refused while others get in", "[limiter]") {
  connection_limiter limiter{{.max_pending_handshakes = 10, .max_pending_handshakes_per_source = 3,
                              .max_connections = 100}};
  std::vector<connection_limiter::slot> slots;
  for (int i = 0; i < 3; ++i) {
    auto s = limiter.admit(flooder);
    REQUIRE(s);
    slots.push_back(std::move(*s));
  }
  CHECK_FALSE(limiter.admit(flooder));
  CHECK(limiter.pending_handshakes_from(flooder) == 3);
  CHECK(limiter.accepting());

  auto other = limiter.admit(peer);
  CHECK(other);
  CHECK(limiter.pending_handshakes() == 4);

  // A finished handshake frees the source's slot; the connection still counts.
  slots.front().handshake_done();
  slots.front().handshake_done();  // idempotent
  CHECK(limiter.pending_handshakes_from(flooder) == 2);
  CHECK(limiter.connections() == 4);
  CHECK(limiter.admit(flooder));  // taken and given back at once
  CHECK(limiter.connections() == 4);
}

TEST_CASE("the global caps stop accepting until a slot frees", "[limiter]") {
  int released = 0;
  connection_limiter limiter{{.max_pending_handshakes = 2, .max_pending_handshakes_per_source = 2,
                              .max_connections = 3},
                             [&] { ++released; }};
  auto a = limiter.admit(flooder);
  auto b = limiter.admit(peer);
  CHECK_FALSE(limiter.accepting());  // two handshakes in progress
  a->handshake_done();
  CHECK(released == 1);
  CHECK(limiter.accepting());
  auto c = limiter.admit(peer);
  c->handshake_done();
  b->handshake_done();
  CHECK(limiter.pending_handshakes() == 0);
  CHECK_FALSE(limiter.accepting());  // three connections open
  { auto gone = std::move(*a); }
  CHECK(limiter.accepting());
  CHECK(limiter.connections() == 2);
}

TEST_CASE("a slot that ends during its handshake gives both parts back", "[limiter]") {
  connection_limiter limiter{{.max_pending_handshakes = 5, .max_pending_handshakes_per_source = 5,
                              .max_connections = 5}};
  { auto s = limiter.admit(flooder); auto moved = std::move(*s); }
  CHECK(limiter.pending_handshakes() == 0);
  CHECK(limiter.pending_handshakes_from(flooder) == 0);
  CHECK(limiter.connections() == 0);
}

TEST_CASE("a source is an IPv4 address or an IPv6 /64", "[limiter]") {
  using asio::ip::make_address;
  CHECK(connection_limiter::source_of(make_address("192.0.2.7")) == "192.0.2.7");
  CHECK(connection_limiter::source_of(make_address("::ffff:192.0.2.7")) == "192.0.2.7");
  CHECK(connection_limiter::source_of(make_address("2001:db8:1:2:3:4:5:6")) ==
        connection_limiter::source_of(make_address("2001:db8:1:2:ffff::1")));
  CHECK(connection_limiter::source_of(make_address("2001:db8:1:2::1")) !=
        connection_limiter::source_of(make_address("2001:db8:1:3::1")));
}

TEST_CASE("a tally reports the first event, then at most once per period", "[limiter][tally]") {
  event_tally tally{60s};
  const auto t0 = event_tally::clock::time_point{} + 1000s;
  auto first = tally.count(t0);
  REQUIRE(first);
  CHECK(first->count == 1);
  for (int i = 0; i < 99; ++i) CHECK_FALSE(tally.count(t0 + 30s));
  auto next = tally.count(t0 + 61s);
  REQUIRE(next);
  CHECK(next->count == 100);
  CHECK(next->since_last == 61s);
  CHECK_FALSE(tally.count(t0 + 62s));
}

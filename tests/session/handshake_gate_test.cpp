// The bound on client handshakes at once (handshake_gate): places in the
// order asked, handed over on release, and a cancelled waiter that leaves
// the queue. One io_context, no I/O; every run is bounded.

#include "session/handshake_gate.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace swpt::session;
using namespace std::chrono_literals;

namespace {

// A coroutine that takes a place, notes it, and holds it until `release`
// is set (and the context is run again).
struct holder {
  std::optional<handshake_gate::permit> place;
  bool done = false;
  bool refused = false;
};

asio::awaitable<void> take(handshake_gate& gate, holder& h, std::vector<std::string>& order, std::string name) {
  auto entered = co_await gate.enter();
  h.done = true;
  if (!entered) {
    h.refused = true;
    co_return;
  }
  order.push_back(std::move(name));
  h.place.emplace(std::move(*entered));
}

void run(asio::io_context& io) {
  io.restart();
  io.run_for(1s);  // nothing here waits for time: returns when idle
}

}  // namespace

TEST_CASE("the gate gives at most its limit of places, in the order asked", "[handshake_gate]") {
  asio::io_context io;
  handshake_gate gate{2};
  std::vector<std::string> order;
  holder a, b, c, d;
  for (auto [h, name] : {std::pair{&a, "a"}, {&b, "b"}, {&c, "c"}, {&d, "d"}}) {
    auto task = take(gate, *h, order, name);
    asio::co_spawn(io, std::move(task), asio::detached);
  }
  run(io);
  CHECK(order == std::vector<std::string>{"a", "b"});
  CHECK(gate.free_places() == 0);
  CHECK(gate.waiting() == 2);

  b.place.reset();  // handed straight to the first waiter
  run(io);
  CHECK(order == std::vector<std::string>{"a", "b", "c"});
  CHECK(gate.waiting() == 1);

  a.place.reset();
  c.place.reset();
  run(io);
  CHECK(order == std::vector<std::string>{"a", "b", "c", "d"});
  d.place.reset();
  CHECK(gate.free_places() == 2);
  CHECK(gate.waiting() == 0);
}

TEST_CASE("a cancelled waiter leaves the queue without a place", "[handshake_gate]") {
  asio::io_context io;
  handshake_gate gate{1};
  std::vector<std::string> order;
  holder first, cancelled, last;
  asio::cancellation_signal cancel;
  auto t1 = take(gate, first, order, "first");
  asio::co_spawn(io, std::move(t1), asio::detached);
  auto t2 = take(gate, cancelled, order, "cancelled");
  asio::co_spawn(io, std::move(t2), asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  auto t3 = take(gate, last, order, "last");
  asio::co_spawn(io, std::move(t3), asio::detached);
  run(io);
  REQUIRE(gate.waiting() == 2);

  cancel.emit(asio::cancellation_type::terminal);
  run(io);
  CHECK(cancelled.done);
  CHECK(cancelled.refused);
  CHECK(gate.waiting() == 1);

  first.place.reset();
  run(io);
  CHECK(order == std::vector<std::string>{"first", "last"});
  last.place.reset();
  CHECK(gate.free_places() == 1);
}

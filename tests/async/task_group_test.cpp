// task_group and run_stoppable on a bare io_context: timers stand in for
// I/O, every run is bounded by run_for.

#include "async/task_group.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using swpt::async::task_group;
using clock_type = std::chrono::steady_clock;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Log lines of this process, for the checks on logged exceptions.
std::vector<std::string>& captured() {
  static std::vector<std::string> lines;
  static std::once_flag once;
  std::call_once(once, [] {
    swpt::log::configure([](const swpt::log::record& r) { lines.emplace_back(r.message); }, swpt::log::level::debug);
  });
  return lines;
}

bool logged(std::string_view part) {
  for (const auto& l : captured())
    if (l.find(part) != std::string::npos) return true;
  return false;
}

asio::awaitable<void> sleep_for(clock_type::duration d) {
  asio::steady_timer t{co_await asio::this_coro::executor, d};
  co_await t.async_wait(asio::use_awaitable);  // throws when cancelled
}

// Runs `owner` (which awaits the group) to its end, within `limit`.
bool run_owner(asio::io_context& io, asio::awaitable<void> owner, clock_type::duration limit = 5s) {
  bool done = false;
  asio::co_spawn(io, std::move(owner), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    done = true;
  });
  io.run_for(limit);
  return done;
}

// A child that takes total cancellation as a request to finish: it
// notices at its wait, then takes `cleanup` to end.
asio::awaitable<void> graceful_child(bool& ended_gracefully, clock_type::duration cleanup) {
  co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer t{co_await asio::this_coro::executor, 1h};
  co_await t.async_wait(nothrow);
  co_await asio::this_coro::reset_cancellation_state();
  t.expires_after(cleanup);
  co_await t.async_wait(asio::use_awaitable);
  ended_gracefully = true;
}

}  // namespace

TEST_CASE("wait() on an empty group completes at once", "[async]") {
  asio::io_context io;
  task_group group{io.get_executor()};
  CHECK(run_owner(io, group.wait(), 1s));
}

TEST_CASE("wait() completes when the last child has ended, and a child's exception is logged", "[async]") {
  captured();
  asio::io_context io;
  task_group group{io.get_executor()};
  int ended = 0;
  for (int i = 0; i < 3; ++i)
    group.spawn([](int& count, int n) -> asio::awaitable<void> {
      co_await sleep_for(std::chrono::milliseconds{10 * n});
      ++count;
    }(ended, i), "sleeper");
  group.spawn([]() -> asio::awaitable<void> {
    co_await sleep_for(1ms);
    throw std::runtime_error{"the child broke"};
  }(), "thrower");
  CHECK(group.size() == 4);
  CHECK(run_owner(io, group.wait()));
  CHECK(ended == 3);
  CHECK(group.empty());
  CHECK(logged("thrower failed: the child broke"));
}

TEST_CASE("stop() ends children that finish gracefully without terminal cancellation", "[async]") {
  asio::io_context io;
  task_group group{io.get_executor()};
  bool a = false, b = false;
  group.spawn(graceful_child(a, 20ms), "a");
  group.spawn(graceful_child(b, 50ms), "b");
  const auto start = clock_type::now();
  CHECK(run_owner(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(10ms);  // both are waiting now
    co_await group.stop(2s);
  }()));
  CHECK(a);
  CHECK(b);
  CHECK(clock_type::now() - start < 1s);
}

TEST_CASE("stop() cancels what ignores total cancellation terminally after the bound", "[async]") {
  captured();
  asio::io_context io;
  task_group group{io.get_executor()};
  bool finished = false;
  // The default cancellation state of a coroutine filters total out.
  group.spawn([](bool& flag) -> asio::awaitable<void> {
    co_await sleep_for(1h);
    flag = true;
  }(finished), "stubborn");
  const auto start = clock_type::now();
  CHECK(run_owner(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(1ms);
    co_await group.stop(200ms);
  }()));
  const auto took = clock_type::now() - start;
  CHECK_FALSE(finished);
  CHECK(took >= 200ms);
  CHECK(took < 2s);
  CHECK(logged("stubborn ended by cancellation"));
}

TEST_CASE("terminal cancellation ends a graceful child that is still cleaning up", "[async]") {
  asio::io_context io;
  task_group group{io.get_executor()};
  bool ended_gracefully = false;
  group.spawn(graceful_child(ended_gracefully, 1h), "slow");
  CHECK(run_owner(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(1ms);
    co_await group.stop(100ms);
  }()));
  CHECK_FALSE(ended_gracefully);
  CHECK(group.empty());
}

TEST_CASE("run_stoppable turns total cancellation into one graceful call and terminal into one terminal call",
          "[async]") {
  asio::io_context io;
  task_group group{io.get_executor()};
  int graceful = 0, terminal = 0;
  asio::steady_timer work_end{io, asio::steady_timer::time_point::max()};
  auto work = [](asio::steady_timer& end) -> asio::awaitable<void> { co_await end.async_wait(nothrow); };
  group.spawn(swpt::async::run_stoppable(
                  work(work_end), [&] { ++graceful; },
                  [&] {
                    ++terminal;
                    work_end.cancel();  // the work ends when told to stop at once
                  }),
              "stoppable");
  CHECK(run_owner(io, [&]() -> asio::awaitable<void> {
    co_await sleep_for(1ms);
    group.emit(asio::cancellation_type::total);
    group.emit(asio::cancellation_type::total);
    co_await sleep_for(20ms);
    CHECK(graceful == 1);
    CHECK(terminal == 0);
    CHECK(group.size() == 1);  // the work has not ended: neither has the child
    co_await group.stop(10ms);
  }()));
  CHECK(graceful == 1);
  CHECK(terminal == 1);
}

TEST_CASE("run_stoppable completes with the work and rethrows its exception", "[async]") {
  asio::io_context io;
  std::string caught;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    try {
      co_await swpt::async::run_stoppable([]() -> asio::awaitable<void> {
        co_await sleep_for(1ms);
        throw std::runtime_error{"work failed"};
      }(), [] {}, [] {});
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  }, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(5s);
  CHECK(caught == "work failed");
}

// The shared broker workers against the test broker, with rabbitmqctl for
// what only the broker can do: many queues on few connections and threads,
// connections closed and a broker restarted under the consumers, a memory
// alarm under the publisher, exclusive consumers standing by.

#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/consumer_pool.hpp"
#include "amqp/publisher.hpp"
#include "broker.hpp"

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

namespace swpt::amqp {
namespace {

using namespace testing;

const publish_properties json{"application/json", "PrepareTransfer", nullptr};

result<std::string> as_is(const content& c) { return c.body; }

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator{"/proc/self/task"}) ++n;
  return n;
}

// messages_unacknowledged of every queue of the default vhost.
std::map<std::string, int> unacknowledged() {
  std::string listing;
  if (rabbitmqctl("list_queues --no-table-headers name messages_unacknowledged", &listing) != 0) {
    FAIL("rabbitmqctl list_queues: " << listing);
  }
  std::map<std::string, int> counts;
  std::istringstream lines{listing};
  std::string name;
  int count = 0;
  while (lines >> name >> count) counts[name] = count;
  return counts;
}

void close_connections(std::string_view name) {
  const auto pids = connections_named(name);
  REQUIRE_FALSE(pids.empty());
  for (const auto& pid : pids) {
    std::string output;
    REQUIRE(rabbitmqctl(fmt::format("close_connection '{}' 'closed by a test'", pid), &output) == 0);
  }
}

TEST_CASE("a thousand queues are consumed at once through a few connections and threads") {
  const auto url = test_broker();
  constexpr int queues = 1000;
  const auto prefix = unique("test.many");
  std::vector<std::string> names;
  {
    connection admin{settings_for(url)};
    for (int i = 0; i < queues; ++i) {
      names.push_back(fmt::format("{}.{}", prefix, i));
      admin.declare_queue(names.back());
      for (int m = 1; m <= 3; ++m) admin.publish("", names.back(), json, fmt::format("m{}", m), false);
    }
  }
  const auto threads_before = thread_count();

  asio::io_context io;
  const auto name = unique("swpt-stomp many");
  auto settings = pool_for(url, name);
  settings.connections = 8;
  settings.worker.max_channels = 200;
  consumer_pool pool{settings};
  std::vector<std::unique_ptr<consumer>> consumers;
  int done = 0;
  for (int i = 0; i < queues; ++i) {
    // Prefetch 1 to 3: with less than 3, the last message comes only after
    // an earlier one was acknowledged.
    const auto prefetch = static_cast<std::uint16_t>(1 + i % 3);
    auto& c = *consumers.emplace_back(
        std::make_unique<consumer>(pool, io.get_executor(), consumer_settings{names[i], prefetch}, as_is));
    asio::co_spawn(
        io,
        [&c, &done]() -> asio::awaitable<void> {
          for (int m = 1; m <= 3; ++m) {
            auto got = co_await c.next();
            if (!got || got->body != fmt::format("m{}", m)) throw std::runtime_error{"a message is missing"};
            c.confirm(got->id);
          }
          ++done;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  REQUIRE(run_until(io, [&] { return done == queues; }, 120s));

  CHECK(pool.connection_count() == 5);
  CHECK(connections_named(name).size() == pool.connection_count());
  CHECK(thread_count() - threads_before <= pool.connection_count());
  CHECK(thread_count() <= 16);
  std::string listing;
  REQUIRE(rabbitmqctl("list_consumers --no-table-headers queue_name prefetch_count", &listing) == 0);
  std::istringstream lines{listing};
  std::map<std::string, int> prefetch;
  std::string queue;
  int count = 0;
  while (lines >> queue >> count) prefetch[queue] = count;
  for (int i = 0; i < queues; i += 97) CHECK(prefetch[names[i]] == 1 + i % 3);

  int stopped = 0;
  for (auto& c : consumers) {
    asio::co_spawn(io, c->stop(), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      ++stopped;
    });
  }
  REQUIRE(run_until(io, [&] { return stopped == queues; }, 60s));
  connection admin{settings_for(url)};
  int left = 0;
  for (const auto& n : names) {
    left += static_cast<int>(admin.declare_queue(n, {}, true));  // acknowledged: none comes back
    admin.delete_queue(n);
  }
  CHECK(left == 0);
}

// Reads a consumer until finish(), noting each lost channel.
struct reader {
  explicit reader(consumer& c) : source{c} {}
  consumer& source;
  std::vector<std::string> bodies, ids;
  int interruptions = 0;
  bool ended = false;

  asio::awaitable<void> run() {
    for (;;) {
      try {
        auto m = co_await source.next();
        if (!m) break;
        bodies.push_back(m->body);
        ids.push_back(m->id);
      } catch (const error&) {
        ++interruptions;
      }
    }
    ended = true;
  }
};

TEST_CASE("a worker comes back with its consumers after the broker closed its connection or restarted") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  std::vector<std::string> queues;
  {
    connection admin{settings_for(url)};
    for (int i = 0; i < 3; ++i) {
      queues.push_back(unique("test.comeback"));
      admin.declare_queue(queues.back());
      for (int m = 1; m <= 5; ++m) admin.publish("", queues.back(), json, fmt::format("m{}", m), false);
    }
  }
  asio::io_context io;
  const auto name = unique("swpt-stomp comeback");
  auto settings = pool_for(url, io, inline_worker, name);
  settings.connections = 1;
  consumer_pool pool{settings};
  std::vector<std::unique_ptr<consumer>> consumers;
  std::vector<std::unique_ptr<reader>> readers;
  for (const auto& q : queues) {
    auto& c = *consumers.emplace_back(std::make_unique<consumer>(pool, io.get_executor(), consumer_settings{q, 10}, as_is));
    auto& r = *readers.emplace_back(std::make_unique<reader>(c));
    asio::co_spawn(io, r.run(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  auto each = [&](auto condition) {
    return [&, condition] { return std::all_of(readers.begin(), readers.end(), [&](auto& r) { return condition(*r); }); };
  };
  auto acknowledged_down_to = [&](int unacked) {
    return [&, unacked] {
      const auto counts = unacknowledged();
      return std::all_of(queues.begin(), queues.end(), [&](auto& q) {
        auto it = counts.find(q);
        return it != counts.end() && it->second == unacked;
      });
    };
  };
  REQUIRE(run_until(io, each([](reader& r) { return r.bodies.size() == 5; })));
  for (auto& r : readers) r->source.confirm(r->ids[1]);  // m1 and m2
  REQUIRE(run_until(io, acknowledged_down_to(3), 30s));

  SECTION("closed by the broker") {
    close_connections(name);
    REQUIRE(run_until(io, each([](reader& r) { return r.bodies.size() == 8; })));
  }
  SECTION("broker restart") {
    // An inline worker notices only once `io` runs again: the same as a
    // thread that did not get the CPU meanwhile.
    std::string output;
    REQUIRE(rabbitmqctl("stop_app", &output) == 0);
    const auto started = rabbitmqctl("start_app", &output);
    REQUIRE(started == 0);
    REQUIRE(run_until(io, each([](reader& r) { return r.bodies.size() == 8; }), 60s));
  }
  for (auto& r : readers) {
    CHECK(r->interruptions == 1);
    // Only what was not receipted comes again.
    CHECK(std::vector<std::string>(r->bodies.begin() + 5, r->bodies.end()) ==
          std::vector<std::string>{"m3", "m4", "m5"});
    CHECK(r->ids[5] == "1");  // a new channel numbers its deliveries afresh
    r->source.confirm(r->ids[5]);  // m3
  }
  for (auto& c : consumers) CHECK(c->status().state == consumer_state::consuming);
  REQUIRE(run_until(io, acknowledged_down_to(2), 30s));
  for (auto& c : consumers) {
    c->finish();
    stop(io, *c);
  }
  stop(io, pool);
  CHECK(runs_out(io));
  connection admin{settings_for(url)};
  for (const auto& q : queues) {
    CHECK(admin.declare_queue(q, {}, true) == 2);  // m4 and m5, requeued
    admin.delete_queue(q);
  }
}

TEST_CASE("an idle worker keeps its connection with heartbeats") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.idle");
  admin.declare_queue(queue);
  asio::io_context io;
  auto settings = pool_for(url, io, inline_worker);
  settings.worker.connection.heartbeat = 1s;  // the broker closes it after 2 s without a frame
  consumer_pool pool{settings};
  consumer source{pool, io.get_executor(), consumer_settings{queue, 10}, as_is};
  reader r{source};
  asio::co_spawn(io, r.run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  REQUIRE(run_until(io, [&] { return source.status().state == consumer_state::consuming; }));
  // Idle for three heartbeat timeouts: nothing may happen meanwhile.
  CHECK_FALSE(run_until(io, [&] { return r.interruptions > 0 || !r.bodies.empty(); }, 6s));
  admin.publish("", queue, json, "still here", false);
  REQUIRE(run_until(io, [&] { return !r.bodies.empty(); }));
  CHECK(r.bodies[0] == "still here");
  CHECK(r.interruptions == 0);
  CHECK(source.status().state == consumer_state::consuming);
  source.confirm(r.ids[0]);
  source.finish();
  stop(io, source);
  REQUIRE(run_until(io, [&] { return r.ended; }));
  stop(io, pool);
  CHECK(runs_out(io));
  admin.delete_queue(queue);
}

TEST_CASE("a delivery that could not be handed over is never acknowledged") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.unhanded");
  admin.declare_queue(queue);
  admin.publish("", queue, json, "m1", false);
  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  consumer source{pool, io.get_executor(), consumer_settings{queue, 10}, as_is};
  reader r{source};
  asio::co_spawn(io, r.run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  REQUIRE(run_until(io, [&] { return r.bodies.size() == 1; }));
  source.finish();  // m2 arrives after it: it cannot be queued for the session
  REQUIRE(run_until(io, [&] { return r.ended; }));
  admin.publish("", queue, json, "m2", false);
  REQUIRE(run_until(io, [&] { return unacknowledged()[queue] == 2; }, 30s));
  // A receipt naming m2's tag (a confused peer) covers m1 only.
  source.confirm("2");
  REQUIRE(run_until(io, [&] { return unacknowledged()[queue] == 1; }, 30s));
  stop(io, source);
  CHECK(admin.declare_queue(queue, {}, true) == 1);  // m2, requeued as the channel closed
  admin.delete_queue(queue);
}

asio::awaitable<void> submit_slowly(publisher& p, std::string exchange, int count, std::mutex& mutex,
                                    std::vector<std::error_code>& outcomes) {
  asio::steady_timer pause{co_await asio::this_coro::executor};
  for (int i = 0; i < count; ++i) {
    session::message_sink::confirm_handler record = [&](std::error_code ec) {
      std::lock_guard lock{mutex};
      outcomes.push_back(ec);
    };
    publication m{exchange, "1.0.1", smp::message_type::prepare_transfer, fmt::format(R"({{"n":{}}})", i), {}};
    co_await p.submit(std::move(m), std::move(record));
    pause.expires_after(250ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

TEST_CASE("under a memory alarm the publisher fails every message, and stops within its bound") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto exchange = unique("test.alarm");
  const auto queue = unique("test.alarm.q");
  admin.declare_exchange(exchange, "topic");
  admin.declare_queue(queue);
  admin.bind_queue(queue, exchange, "#");

  asio::io_context io;
  auto p = std::make_unique<publisher>(io.get_executor(), publisher_for(settings_for(url), 1s, 10, inline_worker));
  REQUIRE(run_until(io, [&] { return p->connected(); }));
  {
    struct restore {
      ~restore() { rabbitmqctl("set_vm_memory_high_watermark 0.4"); }
    } guard;
    REQUIRE(rabbitmqctl("set_vm_memory_high_watermark 0.0001") == 0);
    REQUIRE(run_until(io, [] {
      std::string alarms;
      rabbitmqctl("eval 'rabbit_alarm:get_alarms().'", &alarms);
      return alarms.find("memory") != std::string::npos;
    }, 30s));

    // Longer than the confirmation timeout.
    std::mutex mutex;
    std::vector<std::error_code> outcomes;
    asio::co_spawn(io, submit_slowly(*p, exchange, 10, mutex, outcomes), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    REQUIRE(run_until(io, [&] {
      std::lock_guard lock{mutex};
      return outcomes.size() == 10;
    }, 20s));
    for (const auto& ec : outcomes) CHECK(ec);  // never a false confirmation

    const auto before = std::chrono::steady_clock::now();
    bool stopped = false;
    asio::co_spawn(io, p->stop(), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      stopped = true;
    });
    REQUIRE(run_until(io, [&] { return stopped; }, 10s));
    CHECK(std::chrono::steady_clock::now() - before < 3s);
    p.reset();
    CHECK(runs_out(io));
  }
  REQUIRE(run_until(io, [] {
    std::string alarms;
    rabbitmqctl("eval 'rabbit_alarm:get_alarms().'", &alarms);
    return alarms.find("memory") == std::string::npos;
  }, 30s));
  connection cleanup{settings_for(url)};
  cleanup.delete_queue(queue);
  cleanup.delete_exchange(exchange);
}

TEST_CASE("an exclusive consumer stands by while another holds the queue, and takes over when it goes") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.exclusive");
  admin.declare_queue(queue);

  asio::io_context io;
  const auto holder_name = unique("swpt-stomp holder");
  auto holder_settings = pool_for(url, io, inline_worker, holder_name);
  // Once closed, the holder stays away (full jitter below an hour).
  holder_settings.worker.min_backoff = holder_settings.worker.max_backoff = std::chrono::hours{1};
  consumer_pool holder_pool{holder_settings};
  consumer_pool standby_pool{pool_for(url, io, inline_worker, unique("swpt-stomp standby"))};
  const consumer_settings exclusive{queue, 10, true, 1s};
  consumer holder{holder_pool, io.get_executor(), exclusive, as_is};
  REQUIRE(run_until(io, [&] { return holder.status().state == consumer_state::consuming; }));
  consumer standby{standby_pool, io.get_executor(), exclusive, as_is};
  REQUIRE(run_until(io, [&] { return standby.status().state == consumer_state::standby; }));
  CHECK_THAT(standby.status().reason, Catch::Contains("exclusive"));
  CHECK(holder.status().state == consumer_state::consuming);

  close_connections(holder_name);
  REQUIRE(run_until(io, [&] { return standby.status().state == consumer_state::consuming; }, 10s));
  CHECK(holder.status().state == consumer_state::starting);

  admin.publish("", queue, json, "taken over", false);
  std::optional<session::outgoing_message> got;
  asio::co_spawn(io, standby.next(), [&](std::exception_ptr e, std::optional<session::outgoing_message> m) {
    if (e) std::rethrow_exception(e);
    got = std::move(m);
  });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  CHECK(got->body == "taken over");
  standby.confirm(got->id);
  stop(io, standby);
  stop(io, holder);
  stop(io, standby_pool);
  stop(io, holder_pool);  // between two attempts, an hour apart
  CHECK(runs_out(io));
  admin.delete_queue(queue);
}

}  // namespace
}  // namespace swpt::amqp

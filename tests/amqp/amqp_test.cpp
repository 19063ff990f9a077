// The AMQP bridge against the real RabbitMQ that the test command starts
// (SWPT_TEST_BROKER_URL): the publisher's confirmations, returns, nacks and
// outage behaviour; the consumer's deliveries, acknowledgements and
// dead-lettering; the queue topology. Object names carry a random suffix, so
// runs never see each other's messages.

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/errc.hpp"
#include "amqp/publisher.hpp"
#include "amqp/topology.hpp"
#include "broker.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>

namespace swpt::amqp {
namespace {

using namespace testing;

publication sample(std::string_view exchange, std::string routing_key, std::string body) {
  publication p{exchange, std::move(routing_key), smp::message_type::prepare_transfer, std::move(body), {}};
  p.headers = {{"message-type", std::string{"PrepareTransfer"}}, {"debtor-id", std::int64_t{-1}}};
  return p;
}

// A fresh exchange of `type` with one fresh queue bound to it by `key`.
struct routed {
  std::string exchange, queue;
};

routed declare_routed(connection& admin, std::string_view prefix, std::string_view type, std::string_view key) {
  routed r{unique(prefix), unique(std::string{prefix} + ".q")};
  admin.declare_exchange(r.exchange, type);
  admin.declare_queue(r.queue);
  admin.bind_queue(r.queue, r.exchange, key);
  return r;
}

void delete_routed(connection& admin, const routed& r) {
  admin.delete_queue(r.queue);
  admin.delete_exchange(r.exchange);
}

// Submits `messages` in order and collects their outcomes.
struct outcome_log {
  std::mutex mutex;
  std::vector<std::error_code> outcomes;
  std::size_t size() {
    std::lock_guard lock{mutex};
    return outcomes.size();
  }
  // Success first: confirmations of different messages may come in any order.
  void sort() {
    std::lock_guard lock{mutex};
    std::sort(outcomes.begin(), outcomes.end(), [](auto a, auto b) { return a.value() < b.value(); });
  }
};

asio::awaitable<void> submit_each(publisher& p, std::vector<publication> messages, outcome_log& log) {
  for (auto& m : messages) {
    session::message_sink::confirm_handler record = [&log](std::error_code ec) {
      std::lock_guard lock{log.mutex};
      log.outcomes.push_back(ec);
    };
    co_await p.submit(std::move(m), std::move(record));
  }
}

void submit_all(asio::io_context& io, publisher& p, std::vector<publication> messages, outcome_log& log) {
  asio::co_spawn(io, submit_each(p, std::move(messages), log), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
}

// The process's log records while it lives, with their fields (set up
// before the workers whose lines it takes start).
class log_capture {
 public:
  struct line {
    std::string message;
    std::vector<log::field> fields;
  };

  log_capture() : threshold_{log::threshold()} {
    log::configure(
        [lines = lines_](const log::record& r) {
          std::lock_guard lock{lines->mutex};
          lines->items.push_back({std::string{r.message}, {r.fields.begin(), r.fields.end()}});
        },
        log::level::info);
  }
  ~log_capture() { log::configure(log::stdout_sink(log::format::text), threshold_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // The first line whose message holds `text`.
  std::optional<line> find(std::string_view text) const {
    std::lock_guard lock{lines_->mutex};
    for (const auto& l : lines_->items)
      if (l.message.find(text) != std::string::npos) return l;
    return std::nullopt;
  }

 private:
  struct shared {
    std::mutex mutex;
    std::vector<line> items;  // guarded by mutex
  };
  std::shared_ptr<shared> lines_ = std::make_shared<shared>();
  log::level threshold_;
};

TEST_CASE("broker URLs are parsed and never shown with their password") {
  const auto url = broker_url::parse("amqp://user:s3cret@rabbit.example:5673/node%2Fa");
  CHECK(url.host == "rabbit.example");
  CHECK(url.port == 5673);
  CHECK(url.user == "user");
  CHECK(url.password == "s3cret");
  CHECK(url.vhost == "node/a");
  CHECK_FALSE(url.tls);
  CHECK(url.masked() == "amqp://user:***@rabbit.example:5673/node/a");
  CHECK(broker_url::parse("amqp://guest:guest@localhost:5672").masked() == "amqp://guest:***@localhost:5672/");
  CHECK(broker_url::parse("amqp://guest:guest@localhost:5672").vhost == "/");
  CHECK(broker_url::parse("amqp://guest:guest@localhost:5672/").vhost == "/");
  CHECK(broker_url::parse("amqps://a:b@h").tls);
  CHECK(broker_url::parse("amqps://a:b@h").port == 5671);
  CHECK_THROWS_AS(broker_url::parse("http://guest:guest@localhost"), std::invalid_argument);
  try {
    broker_url::parse("amqp://guest:hunter2@localhost:notaport");
    FAIL("accepted a bad port");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string_view{e.what()}.find("hunter2") == std::string_view::npos);
  }
}

TEST_CASE("a refused login says so") {
  auto url = test_broker();
  url.password = "not-the-password";
  try {
    connection c{settings_for(url)};
    FAIL("logged in with a wrong password");
  } catch (const error& e) {
    CHECK_THAT(e.what(), Catch::Contains("logging in") && Catch::Contains("ACCESS_REFUSED"));
    CHECK_THAT(e.what(), !Catch::Contains("not-the-password"));
  }
}

TEST_CASE("the publisher's messages are confirmed once the broker stored them") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto [exchange, queue] = declare_routed(admin, "test.confirmed", "topic", "#");

  asio::io_context io;
  publisher p{io.get_executor(), publisher_for(settings_for(url), 5s, 10, inline_worker)};
  outcome_log log;
  std::vector<publication> messages;
  for (int i = 0; i < 500; ++i) messages.push_back(sample(exchange, "1.0.1", fmt::format(R"({{"n":{}}})", i)));
  submit_all(io, p, std::move(messages), log);
  REQUIRE(run_until(io, [&] { return log.size() == 500; }));
  for (const auto& ec : log.outcomes) REQUIRE_FALSE(ec);
  stop(io, p);
  CHECK(runs_out(io));

  const auto stored = take_all(admin, queue, 500);
  REQUIRE(stored.size() == 500);
  CHECK(stored.front().body == R"({"n":0})");
  CHECK(stored.back().body == R"({"n":499})");
  CHECK(stored.front().type == "PrepareTransfer");
  CHECK(stored.front().content_type == "application/json");
  CHECK(stored.front().routing_key == "1.0.1");
  delete_routed(admin, {exchange, queue});
}

TEST_CASE("an unroutable message fails with errc::returned, its neighbours are confirmed") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto [exchange, queue] = declare_routed(admin, "test.returned", "direct", "bound");

  asio::io_context io;
  publisher p{io.get_executor(), publisher_for(settings_for(url), 5s, 10, inline_worker)};
  outcome_log log;
  submit_all(io, p,
             {sample(exchange, "bound", "1"), sample(exchange, "nowhere", "2"), sample(exchange, "bound", "3")}, log);
  REQUIRE(run_until(io, [&] { return log.size() == 3; }));
  log.sort();
  CHECK_FALSE(log.outcomes[0]);
  CHECK_FALSE(log.outcomes[1]);
  CHECK(log.outcomes[2] == errc::returned);
  stop(io, p);
  CHECK(runs_out(io));
  delete_routed(admin, {exchange, queue});
}

TEST_CASE("the publisher's line about a failed message names the message's peer") {
  const log_capture capture;
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto [exchange, queue] = declare_routed(admin, "test.peer-line", "direct", "bound");
  asio::io_context io;
  {
    // A server's publisher serves every peer: its logger names none.
    publisher p{io.get_executor(), {settings_for(url), 5s, 10}, log::logger{"swpt_stomp.rmq"}};
    auto unroutable = sample(exchange, "nowhere", "from a peer");
    unroutable.peer = "1234abcd";
    outcome_log log;
    submit_all(io, p, {std::move(unroutable)}, log);
    REQUIRE(run_until(io, [&] { return log.size() == 1; }));
    CHECK(log.outcomes[0] == errc::returned);
    stop(io, p);
  }
  CHECK(runs_out(io));
  delete_routed(admin, {exchange, queue});

  const auto returned = capture.find("was returned");
  REQUIRE(returned);
  REQUIRE(returned->fields.size() == 1);
  CHECK(returned->fields[0].key == "peer");
  CHECK(returned->fields[0].value == "1234abcd");
}

TEST_CASE("a message the broker refuses fails with errc::nacked") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.nacked.q");
  // A full queue that refuses further publishes answers them with basic.nack.
  admin.declare_queue(queue, {{"x-max-length", std::int64_t{1}}, {"x-overflow", std::string{"reject-publish"}}});

  asio::io_context io;
  publisher p{io.get_executor(), {settings_for(url), 5s, 10}};
  outcome_log log;
  submit_all(io, p, {sample("", queue, "first"), sample("", queue, "second")}, log);
  REQUIRE(run_until(io, [&] { return log.size() == 2; }));
  log.sort();  // the nack of the second may come before the first one's ack
  CHECK_FALSE(log.outcomes[0]);
  CHECK(log.outcomes[1] == errc::nacked);
  admin.delete_queue(queue);
}

// The process of the test broker that scripts/test runs (scripts/rabbitmq
// keeps its pid file under $SWPT_RUN_DIR).
pid_t test_broker_pid() {
  const char* run_dir = std::getenv("SWPT_RUN_DIR");
  std::ifstream file{std::string{run_dir != nullptr ? run_dir : "/tmp/swpt-stomp"} + "/rabbitmq-" + broker_node() +
                     "/pid"};
  pid_t pid = 0;
  if (!(file >> pid) || pid <= 0) FAIL("no pid file of the test broker: run the tests with scripts/test");
  return pid;
}

TEST_CASE("a message the broker does not confirm in time fails with errc::confirmation_timeout") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.unconfirmed");
  admin.declare_queue(queue);

  asio::io_context io;
  publisher p{io.get_executor(), publisher_for(settings_for(url), 300ms, 10, inline_worker)};
  REQUIRE(run_until(io, [&] { return p.connected(); }));
  {
    // A frozen broker takes the message into its socket buffer and never answers.
    const pid_t broker = test_broker_pid();
    REQUIRE(::kill(broker, SIGSTOP) == 0);
    struct thaw {
      pid_t pid;
      ~thaw() { ::kill(pid, SIGCONT); }
    } guard{broker};
    outcome_log log;
    submit_all(io, p, {sample("", queue, "late")}, log);
    REQUIRE(run_until(io, [&] { return log.size() == 1; }, 10s));
    CHECK(log.outcomes[0] == errc::confirmation_timeout);
  }
  stop(io, p);  // the late confirmation, if it comes first, is ignored
  CHECK(runs_out(io));
  admin.delete_queue(queue);
}

TEST_CASE("without a broker every message fails at once with errc::not_connected") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  auto url = test_broker();
  url.port = 1;  // nothing listens there
  asio::io_context io;
  publisher p{io.get_executor(), publisher_for(settings_for(url), 5s, 10, inline_worker)};
  outcome_log log;
  submit_all(io, p, {sample("accounts_in", "k", "1"), sample("accounts_in", "k", "2")}, log);
  REQUIRE(run_until(io, [&] { return log.size() == 2; }));
  CHECK(log.outcomes[0] == errc::not_connected);
  CHECK(log.outcomes[1] == errc::not_connected);
  CHECK_FALSE(p.connected());
  stop(io, p);  // between two attempts
  CHECK(runs_out(io));
}

// A listener that never speaks AMQP: a worker connecting to it waits in
// its login until the connection timeout (2 s).
struct silent_broker {
  silent_broker() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 8) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    auto url = test_broker();
    url.host = "127.0.0.1";
    url.port = ntohs(address.sin_port);
    settings = settings_for(url);
    settings.timeout = 2s;
  }
  ~silent_broker() { ::close(listener); }
  silent_broker(const silent_broker&) = delete;
  silent_broker& operator=(const silent_broker&) = delete;

  // Whether a worker is in its login (waits up to 5 s for it).
  bool attempted() {
    pollfd attempt{listener, POLLIN, 0};
    return ::poll(&attempt, 1, 5000) == 1;
  }

  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  connection_settings settings;
};

TEST_CASE("a submission waiting for room is answered when the publisher goes") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  // Nothing leaves the queue of one while the worker waits in its login.
  silent_broker silent;
  asio::io_context io;
  auto p = std::make_unique<publisher>(io.get_executor(), publisher_for(silent.settings, 5s, 1, inline_worker));
  outcome_log log;
  submit_all(io, *p, {sample("accounts_in", "k", "1"), sample("accounts_in", "k", "2")}, log);
  io.poll();  // the first is queued, the second waits for room
  REQUIRE(silent.attempted());
  REQUIRE(log.size() == 0);
  SECTION("destroyed") {
    // The thread is joined here; an inline worker ends on `io` once its
    // connection attempt gives up.
    p.reset();
  }
  SECTION("stopped") {
    // Bounded while the attempt blocks: the connection timeout, and a
    // second for the polite close (see broker_worker::stop).
    const auto before = std::chrono::steady_clock::now();
    stop(io, *p);
    CHECK(std::chrono::steady_clock::now() - before < silent.settings.timeout + 1s);
  }
  REQUIRE(run_until(io, [&] { return log.size() == 2; }, 10s));
  CHECK(log.outcomes[0] == errc::stopped);
  CHECK(log.outcomes[1] == errc::stopped);
  CHECK(runs_out(io));  // the inline worker has ended before `io` goes
}

TEST_CASE("an inline worker goes with its io_context, even during a connection attempt") {
  // Not the way to end one (stop() is awaited on the io_context, for the
  // polite close), but an io_context that goes takes its worker along, at
  // the latest once the attempt gives up; nothing touches what is gone
  // (the sanitizer build checks).
  silent_broker silent;
  outcome_log log;
  const auto before = std::chrono::steady_clock::now();
  {
    asio::io_context io;
    publisher p{io.get_executor(), publisher_for(silent.settings, 5s, 1, true)};
    submit_all(io, p, {sample("accounts_in", "k", "1")}, log);
    io.poll();
    REQUIRE(silent.attempted());
  }
  CHECK(std::chrono::steady_clock::now() - before < silent.settings.timeout + 1s);
}

// A consumer over `queue`, with a prepare function that refuses bodies
// starting with "poison".
std::unique_ptr<consumer> consumer_of(consumer_pool& pool, asio::io_context& io, std::string queue,
                                      std::uint16_t prefetch, log::logger logger = log::logger{"swpt_stomp.rmq"}) {
  return std::make_unique<consumer>(
      pool, io.get_executor(), consumer_settings{std::move(queue), prefetch},
      [](const content& c) -> result<std::string> {
        if (c.body.starts_with("poison")) return failure{"poisoned"};
        return c.body + "!";
      },
      std::move(logger));
}

asio::awaitable<void> receive(consumer& source, std::vector<session::outgoing_message>& into, std::size_t count) {
  while (into.size() < count) {
    auto m = co_await source.next();
    if (!m) co_return;
    into.push_back(std::move(*m));
  }
}

// Runs `io` until `into` holds `count` messages from `source`; false if that
// takes longer than run_until allows.
bool receive_all(asio::io_context& io, consumer& source, std::vector<session::outgoing_message>& into,
                 std::size_t count) {
  auto done = std::make_shared<bool>(false);  // outlives a case that gives up
  asio::co_spawn(io, receive(source, into, count), [done](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    *done = true;
  });
  return run_until(io, [&] { return *done; });
}

TEST_CASE("the consumer hands out prepared deliveries; a receipt acknowledges everything before it") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.consumed");
  const auto topology = queue_topology{{}, "", "", {}, "", "", queue, queue + ".XQ"};
  admin.declare_queue(topology.dead_letter_queue);
  admin.declare_queue(queue, {{"x-dead-letter-exchange", std::string{}},
                              {"x-dead-letter-routing-key", topology.dead_letter_queue}});
  const publish_properties props{"application/json", "PrepareTransfer", nullptr};
  for (int i = 1; i <= 30; ++i) {
    admin.publish("", queue, props, i == 7 ? "poison 7" : fmt::format("m{}", i), false);
  }

  asio::io_context io;
  consumer_pool pool{pool_for(url, io, inline_worker)};
  std::vector<session::outgoing_message> got;
  {
    // Prefetch 10 of 30 messages: the stream only goes on because every
    // message is confirmed as it arrives.
    auto source = consumer_of(pool, io, queue, 10);
    bool done = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      while (got.size() < 29) {
        auto m = co_await source->next();
        if (!m) co_return;
        got.push_back(std::move(*m));
        if (got.size() % 2 == 0) source->confirm(got.back().id);  // cumulative
      }
      source->confirm(got.back().id);
      source->confirm("not-a-tag");  // logged and ignored
      source->confirm("1000");       // never handed out: ignored
    }, [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }));
    stop(io, *source);  // sends the last acknowledgement
  }
  stop(io, pool);
  CHECK(runs_out(io));
  REQUIRE(got.size() == 29);
  CHECK(got[0].body == "m1!");
  CHECK(got[0].id == "1");
  CHECK(got[0].type == "PrepareTransfer");
  CHECK(got[6].body == "m8!");  // the poisoned 7th is not handed out
  CHECK(admin.declare_queue(queue, {}, true) == 0);
  const auto dead = take_all(admin, topology.dead_letter_queue, 1);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].body == "poison 7");
  admin.delete_queue(queue);
  admin.delete_queue(topology.dead_letter_queue);
}

TEST_CASE("a consumer's lines name its queue and the peer its logger names") {
  const log_capture capture;
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.named");
  admin.declare_queue(queue);
  admin.publish("", queue, {"application/json", "PrepareTransfer", nullptr}, "m1", false);

  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  std::vector<session::outgoing_message> got;
  {
    auto source = consumer_of(pool, io, queue, 10, log::logger{"swpt_stomp.rmq"}.with("peer", "1234abcd"));
    REQUIRE(receive_all(io, *source, got, 1));
    source->confirm(got.back().id);
    stop(io, *source);
  }
  stop(io, pool);
  CHECK(runs_out(io));
  admin.delete_queue(queue);

  const auto started = capture.find("Started consuming from");
  REQUIRE(started);
  REQUIRE(started->fields.size() == 2);
  CHECK(started->fields[0].key == "peer");
  CHECK(started->fields[0].value == "1234abcd");
  CHECK(started->fields[1].key == "queue");
  CHECK(started->fields[1].value == queue);
}

TEST_CASE("unacknowledged deliveries go back to the queue when the consumer ends") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.requeued");
  admin.declare_queue(queue);
  const publish_properties props{"application/json", "PrepareTransfer", nullptr};
  for (int i = 1; i <= 5; ++i) admin.publish("", queue, props, fmt::format("m{}", i), false);

  asio::io_context io;
  consumer_pool pool{pool_for(url, io, inline_worker)};
  std::vector<session::outgoing_message> got;
  {
    auto source = consumer_of(pool, io, queue, 100);
    REQUIRE(receive_all(io, *source, got, 5));
    source->confirm("3");
    stop(io, *source);  // the broker requeues the rest as the channel closes
  }
  stop(io, pool);
  CHECK(runs_out(io));
  CHECK(admin.declare_queue(queue, {}, true) == 2);  // m4 and m5
  admin.delete_queue(queue);
}

TEST_CASE("a message larger than a frame spans several and arrives whole") {
  const bool inline_worker = GENERATE(false, true);
  CAPTURE(inline_worker);
  // frame_max is AMQP's smallest, 4096: the largest STOMP body (8192 bytes)
  // takes three body frames each way.
  const auto url = test_broker();
  REQUIRE(settings_for(url).frame_max == 4096);
  connection admin{settings_for(url)};
  const auto [exchange, queue] = declare_routed(admin, "test.large", "topic", "#");
  std::string large(8192, ' ');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 23);

  asio::io_context io;
  publisher p{io.get_executor(), publisher_for(settings_for(url), 5s, 10, inline_worker)};
  outcome_log log;
  submit_all(io, p, {sample(exchange, "1.0.1", large), sample(exchange, "1.0.1", "small")}, log);
  REQUIRE(run_until(io, [&] { return log.size() == 2; }));
  for (const auto& ec : log.outcomes) REQUIRE_FALSE(ec);

  consumer_pool pool{pool_for(url, io, inline_worker)};
  std::vector<session::outgoing_message> got;
  {
    auto source = consumer_of(pool, io, queue, 10);
    REQUIRE(receive_all(io, *source, got, 2));
    source->confirm(got.back().id);
    stop(io, *source);
  }
  stop(io, pool);
  stop(io, p);
  CHECK(runs_out(io));
  REQUIRE(got.size() == 2);
  CHECK(got[0].body == large + "!");
  CHECK(got[1].body == "small!");
  CHECK(admin.declare_queue(queue, {}, true) == 0);
  delete_routed(admin, {exchange, queue});
}

TEST_CASE("the consumer fails when its queue is missing or deleted") {
  const auto url = test_broker();
  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  SECTION("missing") {
    auto source = consumer_of(pool, io, unique("test.missing"), 10);
    std::exception_ptr failure;
    asio::co_spawn(io, source->next(), [&](std::exception_ptr e, auto) { failure = e; });
    REQUIRE(run_until(io, [&] { return failure != nullptr; }));
    CHECK_THROWS_WITH(std::rethrow_exception(failure), Catch::Contains("NOT_FOUND"));
  }
  SECTION("deleted while consuming") {
    connection admin{settings_for(url)};
    const auto queue = unique("test.deleted");
    admin.declare_queue(queue);
    auto source = consumer_of(pool, io, queue, 10);
    std::exception_ptr failure;
    bool ended = false;
    asio::co_spawn(io, source->next(), [&](std::exception_ptr e, auto) {
      failure = e;
      ended = true;
    });
    // The consumer is registered once the queue shows it.
    REQUIRE(run_until(io, [&] {
      amqp_queue_declare_ok_t* ok = amqp_queue_declare(admin.native(), connection::channel,
                                                       amqp_cstring_bytes(queue.c_str()), 1, 1, 0, 0, amqp_empty_table);
      return ok != nullptr && ok->consumer_count == 1;
    }));
    admin.delete_queue(queue);
    REQUIRE(run_until(io, [&] { return ended; }));
    CHECK_THROWS_WITH(std::rethrow_exception(failure), Catch::Contains("cancelled the consumer"));
  }
}

TEST_CASE("a consumer told to fail on disconnect fails when the broker cannot be reached") {
  auto url = test_broker();
  url.port = 1;  // nothing listens there
  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  consumer_settings settings{"test.unreachable", 10};
  settings.fail_on_disconnect = true;
  consumer source{pool, io.get_executor(), settings, [](const content& c) -> result<std::string> { return c.body; }};
  std::exception_ptr failure;
  asio::co_spawn(io, source.next(), [&](std::exception_ptr e, auto) { failure = e; });
  REQUIRE(run_until(io, [&] { return failure != nullptr; }));
  CHECK_THROWS_WITH(std::rethrow_exception(failure), Catch::Contains("connecting to"));
  CHECK(source.status().state == consumer_state::failed);
}

TEST_CASE("try_next() hands out what is ready without waiting") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.ready");
  admin.declare_queue(queue);
  const publish_properties props{"application/json", "PrepareTransfer", nullptr};
  for (int i = 1; i <= 3; ++i) admin.publish("", queue, props, fmt::format("m{}", i), false);

  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  auto source = consumer_of(pool, io, queue, 10);
  std::vector<session::outgoing_message> got;
  REQUIRE(receive_all(io, *source, got, 1));
  REQUIRE(run_until(io, [&] {
    if (auto m = source->try_next()) got.push_back(std::move(*m));
    return got.size() == 3;
  }));
  CHECK(got[1].body == "m2!");
  CHECK(got[2].id == "3");
  source->finish();
  CHECK_FALSE(source->try_next());
  source.reset();
  admin.delete_queue(queue);
}

TEST_CASE("finish() ends the stream gracefully") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = unique("test.finished");
  admin.declare_queue(queue);
  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  auto source = consumer_of(pool, io, queue, 10);
  std::optional<std::optional<session::outgoing_message>> result;
  asio::co_spawn(io, source->next(), [&](std::exception_ptr e, std::optional<session::outgoing_message> m) {
    if (e) std::rethrow_exception(e);
    result = std::move(m);
  });
  source->finish();
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  CHECK_FALSE(result->has_value());
  source.reset();
  admin.delete_queue(queue);
}

}  // namespace
}  // namespace swpt::amqp

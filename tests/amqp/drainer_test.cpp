// The drainer with the real consumer and publisher (docs/rabbitmq-topology.md §3
// vectors): responses reach the owner's exchange, and a consumed message is
// acknowledged only once its response is confirmed.

#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/drainer.hpp"
#include "amqp/errc.hpp"
#include "amqp/publisher.hpp"
#include "broker.hpp"

#include <asio/co_spawn.hpp>
#include <catch2/catch.hpp>

namespace swpt::amqp {
namespace {

using namespace testing;

subnet sn(std::string_view hex) { return *subnet::parse(hex); }

// The CA owner (creditors 000008) and its deactivated AA deac00ed (masq 000001).
const peer_context ca_and_deactivated_aa{node_type::creditors_agent, node_type::accounting_authority,
                                         sn("000008"), sn(""), sn("000001"), sn("deac00ed")};

constexpr std::string_view prepare_transfer =
    R"({"type": "PrepareTransfer", "debtor_id": -2401543483388067839, "creditor_id": 8864812498945, )"
    R"("coordinator_type": "direct", "coordinator_id": 8864812498945, "coordinator_request_id": 1, )"
    R"("min_locked_amount": 1000, "max_locked_amount": 2000, "recipient": "RECIPIENT", )"
    R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, )"
    R"("ts": "2023-01-01T12:00:00+00:00"})";
constexpr std::string_view configure_account =
    R"({"type": "ConfigureAccount", "debtor_id": -2401543483388067839, "creditor_id": 8864812498945, )"
    R"("negligible_amount": 1000.0, "config_data": "TEST_CONFIG", "config_flags": 666, "seqnum": 1234, )"
    R"("ts": "2023-01-01T12:00:00+00:00"})";

// The deactivated peer's queue, holding the vector's three messages.
std::string fill_queue(connection& admin) {
  const auto queue = unique("test.drained");
  admin.declare_queue(queue);
  admin.publish("", queue, {"application/json", "PrepareTransfer", nullptr}, prepare_transfer, false);
  for (int i = 0; i < 2; ++i) {
    admin.publish("", queue, {"application/json", "ConfigureAccount", nullptr}, configure_account, false);
  }
  return queue;
}

std::unique_ptr<consumer> consumer_of(consumer_pool& pool, asio::io_context& io, const std::string& queue) {
  return std::make_unique<consumer>(pool, io.get_executor(), consumer_settings{queue, 100},
                                    [](const content& c) -> result<std::string> {
                                      return process_outgoing(ca_and_deactivated_aa, c.content_type.value_or(""),
                                                              c.type.value_or(""), c.body);
                                    });
}

TEST_CASE("the drainer answers ConfigureAccount with RejectedConfig in the owner's numbering") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = fill_queue(admin);
  // creditors_in is a headers exchange of the CA's applications; bound
  // without arguments, a queue gets every message.
  const auto sink_queue = unique("test.creditors_in");
  admin.declare_exchange("creditors_in", "headers");
  admin.declare_queue(sink_queue);
  admin.bind_queue(sink_queue, "creditors_in", "");

  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  {
    auto source = consumer_of(pool, io, queue);
    publisher sink{io.get_executor(), {settings_for(url), 5s, 10}};
    bool ended = false;
    asio::co_spawn(io, run_drainer(*source, sink, ca_and_deactivated_aa, 10), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      ended = true;
    });
    REQUIRE(run_until(io, [&] { return admin.declare_queue(sink_queue, {}, true) == 2; }));
    source->finish();
    REQUIRE(run_until(io, [&] { return ended; }));
    stop(io, *source);
  }
  CHECK(admin.declare_queue(queue, {}, true) == 0);
  const auto responses = take_all(admin, sink_queue, 2);
  REQUIRE(responses.size() == 2);
  for (const auto& r : responses) {
    CHECK(r.type == "RejectedConfig");
    const auto msg = smp::message::parse(smp::message_type::rejected_config, r.body);
    REQUIRE(msg);
    CHECK(msg->i64(smp::field::creditor_id) == 8864812498945);
    CHECK(msg->i64(smp::field::debtor_id) == -2401543483388067839);
    CHECK(msg->str(smp::field::rejection_code) == "NO_CONNECTION_TO_DEBTOR");
    CHECK(msg->str(smp::field::config_data) == "TEST_CONFIG");
    CHECK(msg->i64(smp::field::config_seqnum) == 1234);
  }
  admin.delete_queue(queue);
  admin.delete_queue(sink_queue);
}

// A sink whose every message fails, as a broker that nacks would.
class refusing_sink final : public session::message_sink {
 public:
  asio::awaitable<void> submit(publication, confirm_handler confirmed) override {
    confirmed(errc::nacked);
    co_return;
  }
};

TEST_CASE("a drainer whose responses fail stops, and leaves their messages in the queue") {
  const auto url = test_broker();
  connection admin{settings_for(url)};
  const auto queue = fill_queue(admin);
  asio::io_context io;
  consumer_pool pool{pool_for(url)};
  std::exception_ptr failure;
  {
    auto source = consumer_of(pool, io, queue);
    refusing_sink sink;
    bool ended = false;
    asio::co_spawn(io, run_drainer(*source, sink, ca_and_deactivated_aa, 10), [&](std::exception_ptr e) {
      failure = e;
      ended = true;
    });
    REQUIRE(run_until(io, [&] { return ended; }));
    stop(io, *source);  // the broker requeues the unanswered messages
  }
  REQUIRE(failure);
  CHECK_THROWS_WITH(std::rethrow_exception(failure), Catch::Contains("could not be published"));
  // The PrepareTransfer needs no answer and is gone; both ConfigureAccount remain.
  CHECK(admin.declare_queue(queue, {}, true) == 2);
  admin.delete_queue(queue);
}

}  // namespace
}  // namespace swpt::amqp

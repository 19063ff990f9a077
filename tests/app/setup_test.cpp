#include "app/setup.hpp"

#include "network.hpp"
#include "session/node_directory.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace swpt::app {
namespace {

// An AA (1234abcd) and a CA peered with it, seen from the AA's database.
struct peering_fixture {
  fixtures::temp_dir dir{"swpt-app-test"};
  fixtures::network net{dir.path()};
  fixtures::node& aa = net.add_node("aa", node_type::accounting_authority, 1234, "1234abcd");
  fixtures::node& ca = net.add_node("ca", node_type::creditors_agent, 1235);
  nodedata::database db{aa.dir};

  peering_fixture() { net.make_peers(aa, ca); }
};

std::string refusal(const nodedata::database& db, const std::string& id, peer_requirement r) {
  try {
    (void)require_peer(db, id, r);
    return "accepted";
  } catch (const startup_error& e) {
    return e.what();
  }
}

TEST_CASE("each command finds its peer only in the state it needs", "[setup]") {
  peering_fixture f;
  const auto& id = f.ca.id;
  using r = peer_requirement;

  // Registered: configure-queue runs before activation.
  CHECK(refusal(f.db, id, r::not_deactivated) == "accepted");
  CHECK(refusal(f.db, id, r::active) == fmt::format("Peer {} has not been activated yet.", id));
  CHECK(refusal(f.db, id, r::deactivated) == fmt::format("Peer {} has not been deactivated.", id));

  f.net.activate(f.aa, f.ca);
  CHECK(refusal(f.db, id, r::not_deactivated) == "accepted");
  CHECK(refusal(f.db, id, r::active) == "accepted");
  CHECK(refusal(f.db, id, r::deactivated) == fmt::format("Peer {} has not been deactivated.", id));
  CHECK(require_peer(f.db, id, r::active).node_id == id);

  f.net.deactivate(f.aa, f.ca);
  CHECK(refusal(f.db, id, r::not_deactivated) == fmt::format("Peer {} has been deactivated.", id));
  CHECK(refusal(f.db, id, r::active) == fmt::format("Peer {} has been deactivated.", id));
  CHECK(refusal(f.db, id, r::deactivated) == "accepted");

  for (const std::string unknown : {"0123456789abcdef0123456789abcdef", "INVALID", "../aa"}) {
    for (const auto requirement : {r::active, r::deactivated, r::not_deactivated})
      CHECK(refusal(f.db, unknown, requirement) == fmt::format("Peer {} is not in the database.", unknown));
  }
}

TEST_CASE("deliveries are checked and translated for the peer", "[setup]") {
  peering_fixture f;
  f.net.activate(f.aa, f.ca);
  const auto peer = require_peer(f.db, f.ca.id, peer_requirement::active);
  const auto prepare = prepare_for(session::make_peer_context(f.db.read_owner(), peer));

  amqp::content delivery;
  delivery.body = R"({"type": "AccountPurge", "debtor_id": 1311862288428302337, "creditor_id": 1099511630524,)"
                  R"( "creation_date": "2022-01-01", "ts": "2022-12-01T00:00:00+00:00"})";
  delivery.type = "AccountPurge";
  delivery.content_type = "application/json";
  const auto ok = prepare(delivery);
  REQUIRE(ok);
  CHECK_THAT(*ok, Catch::Contains("1099511630524"));

  auto untyped = delivery;
  untyped.type.reset();
  CHECK_FALSE(prepare(untyped));
  auto no_content_type = delivery;
  no_content_type.content_type.reset();
  CHECK_FALSE(prepare(no_content_type));
  auto text = delivery;
  text.content_type = "text/plain";
  CHECK_FALSE(prepare(text));
  auto outside = delivery;  // a creditor outside the CA's subnet 000001
  outside.body = R"({"type": "AccountPurge", "debtor_id": 1311862288428302337, "creditor_id": 2199023258300,)"
                 R"( "creation_date": "2022-01-01", "ts": "2022-12-01T00:00:00+00:00"})";
  CHECK_FALSE(prepare(outside));
}

TEST_CASE("a URL that is not file:/// is refused", "[setup]") {
  options o;
  o.nodedata_url = "/var/lib/swpt-nodedata";
  CHECK_THROWS_WITH(open_database(o), Catch::Contains("invalid database URL"));
  o.nodedata_url = "file:///var/lib/swpt-nodedata/";
  CHECK(open_database(o).root() == "/var/lib/swpt-nodedata");
}

TEST_CASE("broker settings come from the URL and the environment", "[setup]") {
  options o;
  o.broker_url = "amqp://user:secret@broker:5673/vh";
  tunables t;
  t.rmq_connection_timeout = std::chrono::milliseconds{1500};
  const auto s = broker_connection(o, t, "swpt-client q");
  CHECK(s.url.host == "broker");
  CHECK(s.url.port == 5673);
  CHECK(s.timeout == std::chrono::milliseconds{1500});
  CHECK(s.name == "swpt-client q");
  CHECK(s.url.masked().find("secret") == std::string::npos);
  o.broker_url = "http://broker";
  CHECK_THROWS_AS(broker_connection(o, t, "x"), std::invalid_argument);
}

TEST_CASE("the prefetch count is what RabbitMQ accepts", "[setup]") {
  CHECK(prefetch_count(1) == 1);
  CHECK(prefetch_count(100) == 100);
  CHECK(prefetch_count(65535) == 65535);
  CHECK(prefetch_count(1'000'000) == 65535);
  CHECK(prefetch_count(0) == 1);
}

TEST_CASE("an error is described with what caused it", "[setup]") {
  try {
    try {
      throw std::runtime_error{"bind: Address already in use"};
    } catch (...) {
      std::throw_with_nested(startup_error{"Cannot listen on port 1234"});
    }
  } catch (const std::exception& e) {
    CHECK(describe(e) == "Cannot listen on port 1234: bind: Address already in use");
  }
}

}  // namespace
}  // namespace swpt::app

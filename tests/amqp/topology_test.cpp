// The queue topology of configure-queue (docs/rabbitmq-topology.md §2): the
// objects for each owner/peer pair, and their declaration on the broker.

#include "amqp/connection.hpp"
#include "amqp/topology.hpp"

#include <catch2/catch.hpp>

namespace swpt::amqp {
namespace {

subnet sn(std::string_view hex) { return *subnet::parse(hex); }

TEST_CASE("topology vectors") {
  const peer_context aa_ca{node_type::accounting_authority, node_type::creditors_agent,
                           sn(""), sn("1234abcd"), sn("000001"), sn("1234abcd")};
  auto t = topology_for(aa_ca, "5921983fe0e6eb987aeedca54ad3c708", "aa.5921983fe0e6eb987aeedca54ad3c708");
  CHECK_FALSE(t.loopback_filter);
  CHECK(t.main_exchange == "to_creditors");
  CHECK(t.main_type == "topic");
  CHECK(t.main_arguments.empty());
  CHECK(t.peer_exchange == "aa.x.5921983fe0e6eb987aeedca54ad3c708");
  CHECK(t.binding_key == "00.00.01.#");
  CHECK(t.queue == "aa.5921983fe0e6eb987aeedca54ad3c708");
  CHECK(t.dead_letter_queue == "aa.5921983fe0e6eb987aeedca54ad3c708.XQ");

  const peer_context aa_da{node_type::accounting_authority, node_type::debtors_agent,
                           sn(""), sn("1234abcd"), sn("0000000000000000"), sn("1234abcd00")};
  t = topology_for(aa_da, "060791aeca7637fa3357dfc0299fb4c5", "aa.060791aeca7637fa3357dfc0299fb4c5");
  CHECK(t.main_exchange == "to_debtors");
  CHECK(t.peer_exchange == "aa.x.060791aeca7637fa3357dfc0299fb4c5");
  CHECK(t.binding_key == "12.34.ab.cd.00.#");

  const peer_context ca_aa{node_type::creditors_agent, node_type::accounting_authority,
                           sn("000008"), sn(""), sn("000001"), sn("1234abcd")};
  t = topology_for(ca_aa, "1234abcd", "ca.1234abcd");
  CHECK(t.loopback_filter == "ca.loopback_filter");
  CHECK(t.main_exchange == "creditors_out");
  CHECK(t.main_type == "topic");
  REQUIRE(t.main_arguments.size() == 1);
  CHECK(t.main_arguments[0].first == "alternate-exchange");
  CHECK(std::get<std::string>(t.main_arguments[0].second) == "ca.loopback_filter");
  CHECK(t.peer_exchange == "ca.x.1234abcd");
  CHECK(t.binding_key == "12.34.ab.cd.#");

  const peer_context da_aa{node_type::debtors_agent, node_type::accounting_authority,
                           sn("0000000000000000"), sn("1234abcd00"), sn("0000000000000000"), sn("1234abcd00")};
  t = topology_for(da_aa, "1234abcd", "da.1234abcd");
  CHECK(t.main_exchange == "debtors_out");
  CHECK(t.main_type == "fanout");
  CHECK(t.peer_exchange == "da.x.1234abcd");
  CHECK(t.binding_key.empty());

  const peer_context ca_ca{node_type::creditors_agent, node_type::creditors_agent, sn(""), sn(""), sn(""), sn("")};
  CHECK_THROWS_AS(topology_for(ca_ca, "x", "q"), std::invalid_argument);
}

}  // namespace
}  // namespace swpt::amqp

#include "core/smp/message_type.hpp"

#include "examples.hpp"

#include <catch2/catch.hpp>

using namespace swpt::smp;

TEST_CASE("message type names round-trip", "[smp][type]") {
  const std::pair<message_type, const char*> rows[] = {
      {message_type::configure_account, "ConfigureAccount"},
      {message_type::prepare_transfer, "PrepareTransfer"},
      {message_type::finalize_transfer, "FinalizeTransfer"},
      {message_type::rejected_config, "RejectedConfig"},
      {message_type::rejected_transfer, "RejectedTransfer"},
      {message_type::prepared_transfer, "PreparedTransfer"},
      {message_type::finalized_transfer, "FinalizedTransfer"},
      {message_type::account_update, "AccountUpdate"},
      {message_type::account_purge, "AccountPurge"},
      {message_type::account_transfer, "AccountTransfer"},
  };
  for (const auto& [type, name] : rows) {
    INFO(name);
    CHECK(type_name(type) == name);
    CHECK(parse_message_type(name) == type);
  }
}

TEST_CASE("unknown message type names are rejected", "[smp][type]") {
  for (const char* bad : {"", "configureaccount", "CONFIGUREACCOUNT", "ConfigureAccount ", " ConfigureAccount",
                          "ConfigureAccount\n", "Configure", "Heartbeat", "Configure_Account"}) {
    INFO(bad);
    CHECK_FALSE(parse_message_type(bad));
  }
}

TEST_CASE("the in group goes to the authority, the out group comes from it", "[smp][type]") {
  const message_type in[] = {message_type::configure_account, message_type::prepare_transfer,
                             message_type::finalize_transfer};
  const message_type out[] = {message_type::rejected_config,   message_type::rejected_transfer,
                              message_type::prepared_transfer, message_type::finalized_transfer,
                              message_type::account_update,    message_type::account_purge,
                              message_type::account_transfer};
  for (auto t : in) CHECK(direction_of(t) == direction::to_authority);
  for (auto t : out) CHECK(direction_of(t) == direction::from_authority);
  CHECK(std::size(in) + std::size(out) == message_type_count);
  CHECK(smp_test::all_types().size() == message_type_count);
}

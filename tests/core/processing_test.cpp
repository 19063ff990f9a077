#include "core/processing.hpp"
#include "core/routing_key.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace std::chrono_literals;
using swpt::header_value;
using swpt::node_type;
using swpt::peer_context;
using swpt::subnet;

namespace {

subnet sn(const char* hex) { return subnet::parse(hex).value(); }

// The reference fixture's peerings (docs/node-database.md §10).
const peer_context aa_with_ca{node_type::accounting_authority, node_type::creditors_agent,
                              subnet{}, sn("1234abcd"), sn("000001"), sn("1234abcd")};
const peer_context aa_with_da{node_type::accounting_authority, node_type::debtors_agent,
                              subnet{}, sn("1234abcd"), subnet::zero(), sn("1234abcd00")};
const peer_context ca_with_aa{node_type::creditors_agent, node_type::accounting_authority,
                              sn("000008"), subnet{}, sn("000001"), sn("1234abcd")};
const peer_context da_with_aa{node_type::debtors_agent, node_type::accounting_authority,
                              subnet::zero(), sn("1234abcd00"), subnet::zero(), sn("1234abcd00")};

const auto now = std::chrono::system_clock::time_point{} + std::chrono::seconds{1672574400};  // 2023-01-01T12:00:00Z

std::string prepare_transfer(std::int64_t debtor, std::int64_t creditor, std::string_view coordinator_type,
                             std::int64_t coordinator, std::string_view ts = "2023-01-01T12:00:00+00:00") {
  return fmt::format(
      R"({{"type": "PrepareTransfer", "debtor_id": {}, "creditor_id": {}, "coordinator_type": "{}", )"
      R"("coordinator_id": {}, "coordinator_request_id": 1111, "min_locked_amount": 1000, )"
      R"("max_locked_amount": 2000, "recipient": "RECIPIENT", "final_interest_rate_ts": )"
      R"("9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, "ts": "{}"}})",
      debtor, creditor, coordinator_type, coordinator, ts);
}

std::string rejected_transfer(std::int64_t debtor, std::int64_t creditor, std::string_view coordinator_type,
                              std::int64_t coordinator) {
  return fmt::format(
      R"({{"type": "RejectedTransfer", "debtor_id": {}, "creditor_id": {}, "coordinator_type": "{}", )"
      R"("coordinator_id": {}, "coordinator_request_id": 1111, "status_code": "INSUFFICIENT_AVAILABLE_AMOUNT", )"
      R"("total_locked_amount": 0, "ts": "2023-01-01T12:00:01+00:00"}})",
      debtor, creditor, coordinator_type, coordinator);
}

std::string account_transfer(std::int64_t debtor, std::int64_t creditor, std::string_view coordinator_type) {
  return fmt::format(
      R"({{"transfer_note_format": "", "transfer_note": "", "type": "AccountTransfer", "debtor_id": {}, )"
      R"("creditor_id": {}, "coordinator_type": "{}", "creation_date": "2023-01-01", "transfer_number": 1, )"
      R"("sender": "1", "recipient": "2", "acquired_amount": 1500, "committed_at": "2023-01-01T12:00:06+00:00", )"
      R"("principal": 1500, "ts": "2023-01-01T12:00:06+00:00", "previous_transfer_number": 0}})",
      debtor, creditor, coordinator_type);
}

std::string account_purge(std::int64_t debtor, std::int64_t creditor) {
  return fmt::format(R"({{"type": "AccountPurge", "debtor_id": {}, "creditor_id": {}, )"
                     R"("creation_date": "2022-01-01", "ts": "2022-12-01T00:00:00+00:00"}})",
                     debtor, creditor);
}

swpt::result<swpt::publication> receive(const peer_context& ctx, std::string_view type, const std::string& body,
                                        std::string_view content_type = "application/json") {
  return swpt::process_received(ctx, content_type, type, body, now);
}

std::string error_of(const swpt::result<swpt::publication>& r) { return r ? "(accepted)" : r.error(); }

using headers = std::vector<std::pair<std::string_view, header_value>>;

constexpr std::int64_t aa_debtor = 0x1234abcd00000001;  // 1311862288428302337

}  // namespace

TEST_CASE("server: an accounting authority publishes to accounts_in keyed by debtor and creditor", "[processing]") {
  const auto r = receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000001, "direct", 0x0000010000000001));
  REQUIRE(r);
  CHECK(r->exchange == "accounts_in");
  CHECK(r->type == swpt::smp::message_type::prepare_transfer);
  CHECK(r->routing_key == swpt::routing_key({aa_debtor, 0x0000010000000001}));
  CHECK(r->headers == headers{{"message-type", std::string{"PrepareTransfer"}},
                              {"debtor-id", aa_debtor},
                              {"creditor-id", std::int64_t{1099511627777}},
                              {"coordinator-id", std::int64_t{1099511627777}},
                              {"coordinator-type", std::string{"direct"}}});
  CHECK(r->body == prepare_transfer(aa_debtor, 0x0000010000000001, "direct", 0x0000010000000001));
}

TEST_CASE("server: a publication names the peer it came from, for the publisher's log lines", "[processing]") {
  auto ctx = aa_with_ca;
  ctx.peer_id = "5678abcd";
  const auto r = receive(ctx, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000001, "direct", 0x0000010000000001));
  REQUIRE(r);
  CHECK(r->peer == "5678abcd");
}

TEST_CASE("server: README example key for debtor 123 and creditor 456", "[processing]") {
  const peer_context universal{node_type::accounting_authority, node_type::creditors_agent, {}, {}, {}, {}};
  const auto r = receive(universal, "AccountPurge", account_purge(123, 456));
  // AccountPurge is an "out" message: an accounting authority never accepts it.
  CHECK(error_of(r) == "Invalid message type: AccountPurge.");
  const auto c = receive(universal, "PrepareTransfer", prepare_transfer(123, 456, "direct", 456));
  REQUIRE(c);
  CHECK(c->routing_key == "0.0.0.0.1.0.0.0.0.1.0.0.0.1.0.0.0.0.1.1.0.1.0.0");
}

TEST_CASE("server: the checks run in order and give the ERROR texts", "[processing]") {
  const auto ok = prepare_transfer(aa_debtor, 0x0000010000000abc, "direct", 0x0000010000000abc);
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", ok, "application/xml")) ==
        "Unsupported content type: application/xml.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", ok, "application/octet-stream")) ==
        "Unsupported content type: application/octet-stream.");
  CHECK(error_of(receive(aa_with_ca, "NoSuchType", ok)) == "Invalid message type: NoSuchType.");
  CHECK(error_of(receive(aa_with_ca, "AccountPurge", ok)) == "Invalid message type: AccountPurge.");
  CHECK(error_of(receive(ca_with_aa, "PrepareTransfer", ok)) == "Invalid message type: PrepareTransfer.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", "{}")) == "Invalid PrepareTransfer message.");
  CHECK(error_of(receive(aa_with_ca, "FinalizeTransfer", ok)) == "Invalid FinalizeTransfer message.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000070000000abc, "direct", 0x0000070000000abc))) ==
        "Invalid creditor ID: 0x0000070000000abc.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(0x1234abce00000001, 0x0000010000000abc, "direct", 0x0000010000000abc))) ==
        "Invalid debtor ID: 0x1234abce00000001.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000abc, "issuing", aa_debtor))) ==
        "Invalid PrepareTransfer message.");  // issuing needs creditor 0: schema rule first
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000abc, "other", 1))) ==
        "Invalid coordinator type: other.");
  CHECK(error_of(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000abc, "agent", 0x0000020000000002))) ==
        "Invalid coordinator ID.");
  CHECK(receive(aa_with_ca, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000010000000abc, "agent", 0x0000010000000002)));
}

TEST_CASE("server: debtors agents may only use the issuing coordinator", "[processing]") {
  const auto issuing = prepare_transfer(0x1234abcd00000001, 0, "issuing", 0x1234abcd00000001);
  const auto r = receive(aa_with_da, "PrepareTransfer", issuing);
  REQUIRE(r);
  CHECK(r->routing_key == swpt::routing_key({0x1234abcd00000001, 0}));
  CHECK(error_of(receive(aa_with_da, "PrepareTransfer", prepare_transfer(0x1234abcd00000001, 0, "direct", 0))) ==
        "Invalid coordinator type: direct.");
  CHECK(error_of(receive(aa_with_da, "PrepareTransfer", prepare_transfer(0x1234abcd01000001, 0, "issuing", 0x1234abcd01000001))) ==
        "Invalid debtor ID: 0x1234abcd01000001.");
  CHECK(error_of(receive(aa_with_da, "PrepareTransfer", prepare_transfer(0x1234abcd00000001, 1, "direct", 1))) ==
        "Invalid creditor ID: 0x0000000000000001.");
}

TEST_CASE("server: a debtors agent publishes to debtors_in keyed by debtor", "[processing]") {
  const auto r = receive(da_with_aa, "AccountPurge", account_purge(aa_debtor, 0));
  REQUIRE(r);
  CHECK(r->exchange == "debtors_in");
  CHECK(r->routing_key == swpt::routing_key({aa_debtor}));
  CHECK(r->headers == headers{{"message-type", std::string{"AccountPurge"}},
                              {"debtor-id", aa_debtor},
                              {"creditor-id", std::int64_t{0}}});
  CHECK(error_of(receive(da_with_aa, "AccountPurge", account_purge(aa_debtor, 1))) ==
        "Invalid creditor ID: 0x0000000000000001.");
}

TEST_CASE("server: timestamps more than two hours ahead are refused", "[processing]") {
  const auto at = [](std::string_view ts) {
    return receive(aa_with_ca, "PrepareTransfer",
                   prepare_transfer(aa_debtor, 0x0000010000000abc, "direct", 0x0000010000000abc, ts));
  };
  CHECK(at("2023-01-01T14:00:00+00:00"));            // exactly 7200 s ahead
  CHECK(at("1970-01-01T00:00:00+00:00"));            // no lower bound
  CHECK(at("2023-01-01T15:59:00+02:00"));            // 7140 s ahead, written in another zone
  CHECK(error_of(at("2023-01-01T14:00:01+00:00")) == "The message timestamp is 7201 seconds in the future.");
  CHECK(error_of(at("2023-01-02T12:00:00+00:00")) == "The message timestamp is 86400 seconds in the future.");
  CHECK(error_of(at("2023-01-01T12:00:00")) == "Invalid PrepareTransfer message.");  // naive: not comparable
}

TEST_CASE("server: creditors agents masquerade creditor IDs (reference vectors)", "[processing]") {
  SECTION("direct coordinator: a creditors message") {
    const auto r = receive(ca_with_aa, "RejectedTransfer", rejected_transfer(aa_debtor, 0x0000010100000abc, "direct", 0x0000010100000abc));
    REQUIRE(r);
    CHECK(r->exchange == "creditors_in");
    CHECK(r->headers == headers{{"message-type", std::string{"RejectedTransfer"}},
                                {"debtor-id", aa_debtor},
                                {"creditor-id", std::int64_t{8800387992252}},
                                {"ca-creditors", true},
                                {"ca-trade", false},
                                {"coordinator-id", std::int64_t{8800387992252}},
                                {"coordinator-type", std::string{"direct"}}});
    CHECK(r->routing_key == "0.0.0.0.0.1.1.1.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.1");
    CHECK(r->body == rejected_transfer(aa_debtor, 0x0000080100000abc, "direct", 0x0000080100000abc));
  }
  SECTION("agent coordinator: a trade message keyed by the coordinator") {
    const auto r = receive(ca_with_aa, "RejectedTransfer", rejected_transfer(aa_debtor, 0x0000010100000abc, "agent", 0x0000010100000002));
    REQUIRE(r);
    CHECK(r->headers == headers{{"message-type", std::string{"RejectedTransfer"}},
                                {"debtor-id", aa_debtor},
                                {"creditor-id", std::int64_t{8800387992252}},
                                {"ca-creditors", false},
                                {"ca-trade", true},
                                {"coordinator-id", std::int64_t{8800387989506}},
                                {"coordinator-type", std::string{"agent"}}});
    CHECK(r->routing_key == "1.0.1.1.0.1.1.0.0.1.1.0.1.0.0.0.0.1.0.0.0.0.0.0");
  }
  SECTION("a transfer on a trade account") {
    const auto r = receive(ca_with_aa, "AccountTransfer", account_transfer(aa_debtor, 0x0000010000000005, "direct"));
    REQUIRE(r);
    CHECK(r->headers == headers{{"message-type", std::string{"AccountTransfer"}},
                                {"debtor-id", aa_debtor},
                                {"creditor-id", std::int64_t{8796093022213}},
                                {"ca-creditors", false},
                                {"ca-trade", true}});
    CHECK(r->routing_key == "0.1.0.1.1.1.0.1.1.0.1.1.1.1.1.0.0.1.1.1.1.0.0.0");
  }
  SECTION("a transfer notification of an agent trade") {
    const auto r = receive(ca_with_aa, "AccountTransfer", account_transfer(aa_debtor, 0x0000010100000abc, "agent"));
    REQUIRE(r);
    CHECK(r->headers[3] == std::pair<std::string_view, header_value>{"ca-creditors", true});
    CHECK(r->headers[4] == std::pair<std::string_view, header_value>{"ca-trade", true});
    CHECK(r->routing_key == swpt::routing_key({8800387992252}));
  }
  SECTION("an ordinary transfer") {
    const auto r = receive(ca_with_aa, "AccountTransfer", account_transfer(aa_debtor, 0x0000010100000abc, "direct"));
    REQUIRE(r);
    CHECK(r->headers[3] == std::pair<std::string_view, header_value>{"ca-creditors", true});
    CHECK(r->headers[4] == std::pair<std::string_view, header_value>{"ca-trade", false});
  }
  SECTION("IDs outside the peer's subnets") {
    CHECK(error_of(receive(ca_with_aa, "RejectedTransfer", rejected_transfer(0x1234abce00000001, 0x0000010100000abc, "direct", 0x0000010100000abc))) ==
          "Invalid debtor ID: 0x1234abce00000001.");
    CHECK(error_of(receive(ca_with_aa, "RejectedTransfer", rejected_transfer(aa_debtor, 0x0000020000000abc, "direct", 0x0000020000000abc))) ==
          "Invalid creditor ID: 0x0000020000000abc.");
  }
}

TEST_CASE("client: messages are checked and translated before sending (reference vectors)", "[processing]") {
  const auto send = [](const peer_context& ctx, std::string_view type, const std::string& body) {
    return swpt::process_outgoing(ctx, "application/json", type, body);
  };
  const auto error = [&](const peer_context& ctx, std::string_view type, const std::string& body) {
    const auto r = send(ctx, type, body);
    return r ? std::string{"(accepted)"} : r.error();
  };

  CHECK(*send(aa_with_ca, "AccountPurge", account_purge(aa_debtor, 0x0000010000000abc)) ==
        account_purge(aa_debtor, 0x0000010000000abc));
  CHECK(error(aa_with_ca, "AccountPurge", account_purge(0x1234abce00000001, 0x0000010000000abc)) ==
        "Invalid debtor ID: 0x1234abce00000001.");
  CHECK(error(aa_with_ca, "AccountPurge", account_purge(aa_debtor, 0x0000020000000abc)) ==
        "Invalid creditor ID: 0x0000020000000abc.");

  CHECK(*send(aa_with_da, "AccountPurge", account_purge(aa_debtor, 0)) == account_purge(aa_debtor, 0));
  CHECK(!send(aa_with_da, "AccountPurge", account_purge(0x1234abce01000001, 0)));
  CHECK(!send(aa_with_da, "AccountPurge", account_purge(aa_debtor, 1)));

  CHECK(*send(ca_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000080000000abc, "direct", 0x0000080000000abc)) ==
        prepare_transfer(aa_debtor, 0x0000010000000abc, "direct", 0x0000010000000abc));
  CHECK(*send(ca_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000080000000abc, "agent", 0x0000080000000002)) ==
        prepare_transfer(aa_debtor, 0x0000010000000abc, "agent", 0x0000010000000002));
  CHECK(error(ca_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000070000000abc, "direct", 0x0000070000000abc)) ==
        "Invalid creditor ID: 0x0000070000000abc.");
  CHECK(error(ca_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 0x0000080000000abc, "agent", 0x0000070000000002)) ==
        "Invalid coordinator ID: 0x0000070000000002.");
  CHECK(error(ca_with_aa, "PrepareTransfer", prepare_transfer(0x1234abce00000001, 0x0000080000000abc, "direct", 0x0000080000000abc)) ==
        "Invalid debtor ID: 0x1234abce00000001.");

  CHECK(*send(da_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 0, "issuing", aa_debtor)) ==
        prepare_transfer(aa_debtor, 0, "issuing", aa_debtor));
  CHECK(!send(da_with_aa, "PrepareTransfer", prepare_transfer(0x1234abcd01000001, 0, "issuing", 0x1234abcd01000001)));
  CHECK(!send(da_with_aa, "PrepareTransfer", prepare_transfer(aa_debtor, 1, "direct", 1)));
}

TEST_CASE("client: only the sending direction's types and JSON are sent", "[processing]") {
  const auto body = prepare_transfer(aa_debtor, 0x0000080000000abc, "direct", 0x0000080000000abc);
  const auto error = [](const swpt::result<std::string>& r) { return r ? std::string{"(accepted)"} : r.error(); };
  CHECK(error(swpt::process_outgoing(ca_with_aa, "text/plain", "PrepareTransfer", body)) ==
        "Unsupported content type: text/plain.");
  CHECK(error(swpt::process_outgoing(aa_with_ca, "application/json", "PrepareTransfer", body)) ==
        "Invalid message type: PrepareTransfer.");
  CHECK(error(swpt::process_outgoing(ca_with_aa, "application/json", "AccountPurge", account_purge(aa_debtor, 0x0000080000000abc))) ==
        "Invalid message type: AccountPurge.");
  CHECK(error(swpt::process_outgoing(ca_with_aa, "application/json", "PrepareTransfer", "[]")) ==
        "Invalid PrepareTransfer message.");
}

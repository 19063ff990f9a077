#include "core/node_type.hpp"
#include "core/subnet.hpp"

#include <catch2/catch.hpp>

using swpt::subnet;

TEST_CASE("subnet strings parse into value and mask", "[subnet]") {
  struct row {
    const char* text;
    std::uint64_t value, mask;
    const char* key;
  };
  const row rows[] = {
      {"", 0x0, 0x0, "#"},
      {"0a", 0x0a00000000000000, 0xff00000000000000, "0a.#"},
      {"000001", 0x0000010000000000, 0xffffff0000000000, "00.00.01.#"},
      {"1234abcd", 0x1234abcd00000000, 0xffffffff00000000, "12.34.ab.cd.#"},
      {"1234ABCD00", 0x1234abcd00000000, 0xffffffffff000000, "12.34.ab.cd.00.#"},
      {"0000000000000000", 0x0, 0xffffffffffffffff, "00.00.00.00.00.00.00.00"},
      {"1234567890abcdef", 0x1234567890abcdef, 0xffffffffffffffff, "12.34.56.78.90.ab.cd.ef"},
      {"ffffffffffffffff", 0xffffffffffffffff, 0xffffffffffffffff, "ff.ff.ff.ff.ff.ff.ff.ff"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const auto s = subnet::parse(r.text);
    REQUIRE(s);
    CHECK(s->value() == r.value);
    CHECK(s->mask() == r.mask);
    CHECK(s->binding_key() == r.key);
  }
  CHECK(subnet::parse("0a1b")->binding_key() == "0a.1b.#");
  CHECK(subnet::zero() == *subnet::parse("0000000000000000"));
}

TEST_CASE("malformed subnet strings are rejected", "[subnet]") {
  for (const char* bad : {"a", "abc", "-02", "0x12", "1_2", " 12", "+1", "0a0000000000000013431545", "zz"}) {
    INFO(bad);
    CHECK_FALSE(subnet::parse(bad));
  }
}

TEST_CASE("subnet membership uses the unsigned form of the ID", "[subnet]") {
  const auto aa = *subnet::parse("1234abcd");
  CHECK(aa.contains(0x1234abcd00000000));
  CHECK(aa.contains(0x1234abcd00000001));
  CHECK(aa.contains(0x1234abcd80000000));
  CHECK_FALSE(aa.contains(0x1234abcf00000000));
  CHECK_FALSE(aa.contains(static_cast<std::int64_t>(0x9234abcd00000000)));

  const subnet universal;
  CHECK(universal.contains(0));
  CHECK(universal.contains(0x7fffffffffffffff));
  CHECK(universal.contains(-0x0800000000000000));

  CHECK(subnet::zero().contains(0));
  CHECK_FALSE(subnet::zero().contains(1));
  CHECK_FALSE(subnet::zero().contains(-1));
}

TEST_CASE("translation swaps the masked prefix", "[subnet]") {
  const auto from = *subnet::parse("01");
  CHECK(from.translate(0x0100000000000abc, *subnet::parse("02")) == 0x0200000000000abc);
  CHECK_FALSE(from.translate(0x0100000000000abc, *subnet::parse("0002")));  // masks differ
  CHECK_FALSE(from.translate(0x0300000000000abc, *subnet::parse("02")));    // not in `from`
}

TEST_CASE("IDs are formatted as 16 lowercase hex digits", "[subnet]") {
  CHECK(swpt::format_id(-1) == "0xffffffffffffffff");
  CHECK(swpt::format_id(15) == "0x000000000000000f");
}

TEST_CASE("node type names round-trip", "[node_type]") {
  using swpt::node_type;
  for (auto t : {node_type::accounting_authority, node_type::creditors_agent, node_type::debtors_agent})
    CHECK(swpt::parse_node_type(swpt::node_type_name(t)) == t);
  CHECK_FALSE(swpt::parse_node_type("Accounting Authorities\n"));
  CHECK_FALSE(swpt::parse_node_type("creditors agents"));
  CHECK(swpt::inbound_exchange(node_type::creditors_agent) == "creditors_in");
  CHECK(swpt::node_type_prefix(node_type::debtors_agent) == "da");
}

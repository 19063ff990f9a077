#include "core/routing_key.hpp"

#include <catch2/catch.hpp>

using swpt::routing_key;

TEST_CASE("routing keys match the reference vectors", "[routing_key]") {
  CHECK(routing_key({123}) == "1.1.1.1.1.1.0.0.0.0.0.1.0.0.0.0.0.1.1.0.0.0.1.1");
  CHECK(routing_key({-123}) == "1.1.0.0.0.0.1.1.1.1.1.1.1.1.1.0.1.0.1.0.1.1.1.1");
  CHECK(routing_key({123, 456}) == "0.0.0.0.1.0.0.0.0.1.0.0.0.1.0.0.0.0.1.1.0.1.0.0");
  CHECK(routing_key({0}) == "0.1.1.1.1.1.0.1.1.1.1.0.1.0.1.0.0.0.1.1.0.1.1.0");
  CHECK(routing_key({1}) == "1.1.1.1.1.0.1.0.0.1.0.1.1.0.1.0.1.1.0.1.1.0.0.1");
  CHECK(routing_key({-1}) == "1.1.0.0.0.0.1.0.1.1.0.0.1.0.1.1.0.1.0.1.0.1.1.0");
  CHECK(routing_key({0, 0}) == "0.1.0.0.1.0.1.0.1.1.1.0.0.1.1.1.0.0.0.1.0.0.1.1");
  CHECK(routing_key({0x1234abcd00000001}) == "1.0.0.1.1.1.1.0.1.1.1.0.1.0.1.0.0.0.1.0.1.0.1.0");
  CHECK(routing_key({0x1234abcd00000001, 0x0000010000000abc}) ==
        "1.0.1.1.1.1.1.0.1.0.0.1.1.0.1.1.0.1.1.0.0.1.1.1");
  CHECK(routing_key({0x1234abcd00000001, 0}) == "1.0.0.0.0.1.1.1.0.1.1.0.0.0.1.1.1.0.1.0.0.0.0.1");
  CHECK(routing_key({8800387992252}) == "0.0.0.0.0.1.1.1.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.1");
  CHECK(routing_key({8800387989506}) == "1.0.1.1.0.1.1.0.0.1.1.0.1.0.0.0.0.1.0.0.0.0.0.0");
  CHECK(routing_key({8796093022213}) == "0.1.0.1.1.1.0.1.1.0.1.1.1.1.1.0.0.1.1.1.1.0.0.0");
}

TEST_CASE("routing keys take one or two IDs", "[routing_key]") {
  CHECK_THROWS_AS(routing_key({1, 2, 3}), std::invalid_argument);
}

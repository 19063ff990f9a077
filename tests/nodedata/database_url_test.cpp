#include <stdexcept>

#include <catch2/catch.hpp>

#include "nodedata/nodedata.hpp"  // the umbrella header must compile on its own

using swpt::nodedata::parse_database_url;

TEST_CASE("file URLs give a normalized absolute root", "[url]") {
  CHECK(parse_database_url("file:///home//user/./db/") == "/home/user/db");
  CHECK(parse_database_url("file:///var/lib/swpt-nodedata") == "/var/lib/swpt-nodedata");
  CHECK(parse_database_url("file:///a/b/../c") == "/a/c");
  CHECK(parse_database_url("file:///") == "/");
  // No percent-decoding: the characters are taken as they are.
  CHECK(parse_database_url("file:///my%20db") == "/my%20db");
}

TEST_CASE("anything but file:/// is an invalid database URL", "[url]") {
  for (const char* url : {"http://x", "file://host/x", "file://", "file:relative/db", "relative/db", "/abs/db",
                          "FILE:///x", "", "file:/x"}) {
    INFO(url);
    try {
      parse_database_url(url);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string{e.what()} == std::string{"invalid database URL: "} + url);
    }
  }
}

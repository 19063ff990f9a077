#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "expect_error.hpp"
#include "nodedata/stomp_manifest.hpp"

using namespace swpt::nodedata;
using namespace swpt::nodedata::testing;

namespace {

const std::filesystem::path file = "/db/peers/1234abcd/nodeinfo/stomp.toml";

stomp_manifest parse(const std::string& text) { return parse_stomp_manifest(text, "1234", file); }

std::string with_servers(const std::string& servers) {
  return "servers = " + servers + "\nhost = \"/\"\ndestination = \"/exchange/x\"\n";
}

void require_manifest_error(const std::string& text, std::string_view fragment) {
  INFO(text);
  require_database_error([&] { parse(text); }, file, fragment);
}

}  // namespace

TEST_CASE("${NODE_ID} is replaced by the owner's ID in host, destination and login", "[manifest]") {
  const auto m = parse(
      "servers = [\"server1.example.com:1234\"]\n"
      "host = \"/${NODE_ID}\"\n"
      "destination = \"/exchange/${NODE_ID}/smp\"\n"
      "login = \"/user/${NODE_ID}\"\n"
      "passcode = \"/pass/${NODE_ID}\"\n"
      "accepted-content-types = ['type1', 'type2']\n");
  CHECK(m.host == "/1234");
  CHECK(m.destination == "/exchange/1234/smp");
  CHECK(m.login == "/user/1234");
  CHECK(m.passcode == "/pass/${NODE_ID}");
  CHECK(m.accepted_content_types == std::vector<std::string>{"type1", "type2", "application/json"});
  CHECK(m.servers == std::vector<server_address>{{"server1.example.com", 1234}});
}

TEST_CASE("every occurrence of ${NODE_ID} is replaced", "[manifest]") {
  const auto m = parse(with_servers("[\"a.com:1\"]") + "login = \"${NODE_ID}${NODE_ID}-${NODE_ID\"\n");
  CHECK(m.login == "12341234-${NODE_ID");
}

TEST_CASE("optional keys have defaults and unknown keys are ignored", "[manifest]") {
  const auto m = parse(with_servers("[\"a.com:1\"]") + "not-described-here = true\n[section]\nx = 1\n");
  CHECK_FALSE(m.login);
  CHECK_FALSE(m.passcode);
  CHECK(m.accepted_content_types == std::vector<std::string>{"application/json"});
}

TEST_CASE("quoted keys, CRLF line ends and blank lines are fine", "[manifest]") {
  const auto m = parse(
      "\r\n\"servers\" = [\r\n  \"a.com:1\",\r\n]\r\n\r\n\"host\"=\"HOST\"\r\n'destination' = \"D\"\r\n");
  CHECK(m.host == "HOST");
  CHECK(m.destination == "D");
  CHECK(m.servers == std::vector<server_address>{{"a.com", 1}});
}

TEST_CASE("valid servers lists", "[manifest][servers]") {
  CHECK(parse(with_servers("[\"server1.example.com.:1234\"]")).servers ==
        std::vector<server_address>{{"server1.example.com.", 1234}});
  CHECK(parse(with_servers(
                  "[\"server1.example.com:1234\", \"server2.example.com:2345\", \"1.2.3.4:2345\"]"))
            .servers == std::vector<server_address>{
                            {"server1.example.com", 1234}, {"server2.example.com", 2345}, {"1.2.3.4", 2345}});
  CHECK(parse(with_servers("[\"127.0.0.1:1234\", \"127.0.0.1:1234\"]")).servers.size() == 2);
  CHECK(parse(with_servers("[\"a.com:65535\"]")).servers[0].port == 65535);
}

TEST_CASE("servers that are not a non-empty list of strings", "[manifest][servers]") {
  require_manifest_error(with_servers("[]"), "servers: empty list");
  require_manifest_error(with_servers("1"), "servers: expected an array of strings");
  require_manifest_error(with_servers("\"a.com:1\""), "servers: expected an array of strings");
  require_manifest_error(with_servers("[\"example.com:1234\", 1]"), "servers[1]: expected a string");
  require_manifest_error(with_servers("[666]"), "servers[0]: expected a string");
  require_manifest_error("host = \"/\"\ndestination = \"/x\"\n", "servers: missing");
}

TEST_CASE("server entries with a bad port", "[manifest][servers]") {
  for (const char* port : {"123456", "-1234", "0", "INVALID", "", " 1234", "+1_234", "1234 ", "65536", "0x10"}) {
    require_manifest_error(with_servers("[\"a.com:1\", \"server1.example.com:" + std::string{port} + "\"]"),
                           "servers[1]: invalid port \"" + std::string{port} + "\"");
  }
}

TEST_CASE("server entries with a bad host or no port", "[manifest][servers]") {
  require_manifest_error(with_servers("[\"server1.example.com\"]"), "servers[0]: missing \":port\"");
  require_manifest_error(with_servers("[\"24[s]3q5:1234\"]"), "servers[0]: invalid host \"24[s]3q5\"");
  std::string long_host;
  for (int i = 0; i < 50; ++i) long_host += "abcdefgh.";
  require_manifest_error(with_servers("[\"" + long_host + "com:1234\"]"), "servers[0]: invalid host");
  require_manifest_error(with_servers("[\":1234\"]"), "servers[0]: invalid host \"\"");
  require_manifest_error(with_servers("[\"a.com\\n:1\"]"), "servers[0]: invalid host \"a.com\\n\"");
  require_manifest_error(with_servers("[\"[::1]:1234\"]"), "servers[0]: invalid host");
}

TEST_CASE("required strings must be present and strings", "[manifest]") {
  const std::string servers = "servers = [\"a.com:1\"]\n";
  require_manifest_error(servers + "destination = \"/x\"\n", "host: missing");
  require_manifest_error(servers + "host = \"/\"\n", "destination: missing");
  require_manifest_error(servers + "host = 1\ndestination = \"/x\"\n", "host: expected a string");
  require_manifest_error(servers + "host = \"/\"\ndestination = [\"/x\"]\n", "destination: expected a string");
}

TEST_CASE("optional keys of the wrong type", "[manifest]") {
  const std::string base = with_servers("[\"a.com:1\"]");
  require_manifest_error(base + "login = 1\n", "login: expected a string");
  require_manifest_error(base + "passcode = true\n", "passcode: expected a string");
  require_manifest_error(base + "accepted-content-types = \"text/plain\"\n",
                         "accepted-content-types: expected an array of strings");
  require_manifest_error(base + "accepted-content-types = [\"a\", 2]\n",
                         "accepted-content-types[1]: expected a string");
}

TEST_CASE("text that is not TOML", "[manifest]") {
  require_manifest_error("servers = [\"a.com:1\"\nhost = \"/\"\n", "invalid TOML at line");
  require_manifest_error("this is not toml\n", "invalid TOML");
  require_manifest_error(with_servers("[\"a.com:1\"]") + "host = \"again\"\n", "invalid TOML");
}

TEST_CASE("server addresses parse strictly", "[servers]") {
  CHECK(parse_server_address("a.com:1") == server_address{"a.com", 1});
  CHECK(parse_server_address("A-1.b2.COM.:08080") == server_address{"A-1.b2.COM.", 8080});
  CHECK(parse_server_address("localhost:61613") == server_address{"localhost", 61613});
  // The original's lenient cases (docs/node-database.md §6 quirk) are rejected here.
  for (const char* bad : {"a.com: 1234", "a.com:+1_234", "a.com\n:1", ":1234", "a.com:12:34", "a..com:1",
                          "-a.com:1", "a-.com:1", ".:1", "a.com..:1", "a_b.com:1", "a.com", "a.com:"}) {
    INFO(bad);
    CHECK_FALSE(parse_server_address(bad));
  }
  CHECK(is_valid_host(std::string(63, 'a') + ".com"));
  CHECK_FALSE(is_valid_host(std::string(64, 'a') + ".com"));
  std::string host_253;
  while (host_253.size() < 253) host_253 += "a.";
  host_253.resize(253);  // ends with "a": 127 labels
  CHECK(is_valid_host(host_253));
  CHECK(is_valid_host(host_253 + "."));
  CHECK_FALSE(is_valid_host(host_253 + "a"));
}

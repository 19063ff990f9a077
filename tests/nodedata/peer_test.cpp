#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "expect_error.hpp"
#include "nodedata/database.hpp"
#include "reference_fixture.hpp"
#include "temp_tree.hpp"

using namespace swpt::nodedata;
using namespace swpt::nodedata::testing;
using swpt::node_type;
using swpt::subnet;

namespace {

subnet parsed(std::string_view text) { return subnet::parse(text).value(); }

peer_data require_peer(const database& db, std::string_view id, bool active_only = true) {
  auto peer = db.find_peer(id, active_only);
  REQUIRE(peer);
  return std::move(*peer);
}

std::string peer_path(std::string_view owner, std::string_view id, std::string_view file = "") {
  std::string path = std::string{owner} + "/peers/" + std::string{id};
  return file.empty() ? path : path + "/" + std::string{file};
}

}  // namespace

TEST_CASE("AA owner: its CA and DA peers", "[peer]") {
  const temp_tree tree{reference_fixture()};
  const database db{tree / "AA"};

  const peer_data ca = require_peer(db, ca_id);
  CHECK(ca.node_id == ca_id);
  CHECK(ca.type == node_type::creditors_agent);  // nodetype.txt ends with CRLF
  CHECK(ca.state == peer_state::active);
  CHECK(ca.creditors == parsed("000001"));
  CHECK(ca.debtors == parsed("1234abcd"));
  CHECK(ca.sub_ca_pem == pem_block("sub" + std::string{ca_id}));
  CHECK(ca.root_ca_pem == pem_block("root" + std::string{ca_id}));
  CHECK(ca.manifest.servers == std::vector<server_address>{{"127.0.0.1", 1235}});
  CHECK(ca.manifest.host == "/1234abcd");
  CHECK(ca.manifest.destination == "/exchange/creditors_in");
  CHECK(ca.manifest.accepted_content_types == std::vector<std::string>{"application/json"});

  const peer_data da = require_peer(db, da_id);
  CHECK(da.type == node_type::debtors_agent);
  CHECK(da.state == peer_state::active);
  CHECK(da.creditors == parsed("0000000000000000"));
  CHECK(da.debtors == parsed("1234abcd00"));
  CHECK(da.manifest.servers == std::vector<server_address>{{"127.0.0.1", 1236}});
  CHECK(da.manifest.host == "/1234abcd");
  CHECK(da.manifest.destination == "/exchange/debtors_in");
}

TEST_CASE("CA owner: its AA peer, with the masquerading subnet", "[peer]") {
  const temp_tree tree{reference_fixture()};
  const peer_data aa = require_peer(database{tree / "CA"}, aa_id);
  CHECK(aa.type == node_type::accounting_authority);  // nodetype.txt without newline
  CHECK(aa.state == peer_state::active);
  CHECK(aa.creditors == parsed("000001"));
  CHECK(aa.debtors == parsed("1234abcd"));
  CHECK(aa.manifest.servers == std::vector<server_address>{{"127.0.0.1", 1234}, {"127.0.0.1", 1234}});
  CHECK(aa.manifest.host == "/");
  CHECK(aa.manifest.destination == "/exchange/accounts_in");
}

TEST_CASE("DA owner: its AA peer", "[peer]") {
  const temp_tree tree{reference_fixture()};
  const peer_data aa = require_peer(database{tree / "DA"}, aa_id);
  CHECK(aa.type == node_type::accounting_authority);
  CHECK(aa.creditors == parsed("0000000000000000"));
  CHECK(aa.debtors == parsed("1234abcd00"));
}

TEST_CASE("deactivated peers are found only when inactive ones are wanted", "[peer][state]") {
  const temp_tree tree{reference_fixture()};
  const database aa_db{tree / "AA"};
  CHECK_FALSE(aa_db.find_peer(deactivated_ca_id, true));
  const peer_data ca = require_peer(aa_db, deactivated_ca_id, false);
  CHECK(ca.state == peer_state::deactivated);
  CHECK(ca.creditors == parsed("000002"));
  CHECK(ca.debtors == parsed("1234abcd"));

  const database ca_db{tree / "CA"};
  CHECK_FALSE(ca_db.find_peer(deactivated_aa_id, true));
  CHECK(require_peer(ca_db, deactivated_aa_id, false).state == peer_state::deactivated);
  CHECK(require_peer(ca_db, aa_id, false).state == peer_state::active);
}

TEST_CASE("DEACTIVATED wins over ACTIVE", "[peer][state]") {
  const temp_tree tree{reference_fixture()};
  tree.write(peer_path("AA", ca_id, "DEACTIVATED"), "2024-03-01\n");
  const database db{tree / "AA"};
  CHECK_FALSE(db.find_peer(ca_id, true));
  CHECK(require_peer(db, ca_id, false).state == peer_state::deactivated);
}

TEST_CASE("a registered peer without ACTIVE is not active", "[peer][state]") {
  const temp_tree tree{reference_fixture()};
  tree.remove(peer_path("AA", ca_id, "ACTIVE"));
  const database db{tree / "AA"};
  CHECK_FALSE(db.find_peer(ca_id, true));
  CHECK(require_peer(db, ca_id, false).state == peer_state::registered);
}

TEST_CASE("a peer without sub-ca.crt is not there yet, whatever else it has", "[peer][state]") {
  const temp_tree tree{reference_fixture()};
  tree.remove(peer_path("AA", ca_id, "sub-ca.crt"));
  tree.remove(peer_path("AA", ca_id, "nodeinfo"));  // half-copied: would be an error if read
  const database db{tree / "AA"};
  CHECK_FALSE(db.find_peer(ca_id, true));
  CHECK_FALSE(db.find_peer(ca_id, false));
}

TEST_CASE("unknown and non-directory peers are not there", "[peer]") {
  const temp_tree tree{reference_fixture()};
  tree.write("AA/peers/abcdef01", "a file, not a directory");
  const database db{tree / "AA"};
  CHECK_FALSE(db.find_peer("INVALID", false));
  CHECK_FALSE(db.find_peer("00000000", false));
  CHECK_FALSE(db.find_peer("abcdef01", false));
  CHECK_FALSE(database{tree / "nowhere"}.find_peer(aa_id, false));
}

TEST_CASE("peer IDs that are not node IDs never reach the file system", "[peer][traversal]") {
  const temp_tree tree{reference_fixture()};
  // Complete, active peer directories at places a crafted ID could reach.
  const std::string manifest = "servers = [\"a:1\"]\nhost = \"/\"\ndestination = \"/\"\n";
  tree.write(peer_entries("X", {"evil", "Creditors Agents\n", manifest, "subnet.txt", "000001", "ACTIVE"}));
  tree.write(peer_entries("AA", {"1234ABCD", "Accounting Authorities\n", manifest, "", "", "ACTIVE"}));
  const database db{tree / "AA"};
  REQUIRE(std::filesystem::exists(tree / "AA/peers/../../X/peers/evil/sub-ca.crt"));
  const std::string ca{ca_id};
  for (const std::string& id : std::vector<std::string>{"../../X/peers/evil", "../evil", "../peers/" + ca, "./" + ca, ca + "/", ca + "/../" + ca,
                                                        "1234ABCD", "..", ".", "", ca + "\n", " " + ca,
                                                        tree.root().string() + "/AA/peers/" + ca}) {
    INFO(id);
    CHECK_FALSE(db.find_peer(id, false));
  }
}

TEST_CASE("a registered peer with missing files is a database error", "[peer][errors]") {
  for (const char* file : {"root-ca.crt", "nodetype.txt", "nodeinfo/stomp.toml", "subnet.txt"}) {
    INFO(file);
    const temp_tree tree{reference_fixture()};
    tree.remove(peer_path("AA", ca_id, file));
    require_database_error([&] { database{tree / "AA"}.find_peer(ca_id, true); }, tree / peer_path("AA", ca_id, file),
                           "cannot open file");
  }
  const temp_tree tree{reference_fixture()};
  tree.remove(peer_path("CA", aa_id, "masq-subnet.txt"));
  require_database_error([&] { database{tree / "CA"}.find_peer(aa_id, true); },
                         tree / peer_path("CA", aa_id, "masq-subnet.txt"), "cannot open file");
}

TEST_CASE("a peer's errors include the owner's", "[peer][errors]") {
  const temp_tree tree{reference_fixture()};
  tree.remove("AA/db/nodeid");
  require_database_error([&] { database{tree / "AA"}.find_peer(ca_id, true); }, tree / "AA/db/nodeid",
                         "cannot open file");
}

TEST_CASE("sub-ca.crt without a certificate is an error, not an absent peer", "[peer][errors]") {
  const temp_tree tree{reference_fixture()};
  tree.write(peer_path("AA", ca_id, "sub-ca.crt"), "-----BEGIN CERTIFICATE-----\nMIIB");
  // Even when only active peers are wanted and the peer is deactivated:
  // step 2 of §5.1 comes before the state.
  tree.write(peer_path("AA", ca_id, "DEACTIVATED"), "");
  require_database_error([&] { database{tree / "AA"}.find_peer(ca_id, true); },
                         tree / peer_path("AA", ca_id, "sub-ca.crt"), "no PEM certificate block");
}

TEST_CASE("errors of an inactive peer's other files show only when it is read", "[peer][errors]") {
  const temp_tree tree{reference_fixture()};
  tree.write(peer_path("AA", deactivated_ca_id, "nodeinfo/stomp.toml"), "not toml");
  const database db{tree / "AA"};
  CHECK_FALSE(db.find_peer(deactivated_ca_id, true));
  require_database_error([&] { db.find_peer(deactivated_ca_id, false); },
                         tree / peer_path("AA", deactivated_ca_id, "nodeinfo/stomp.toml"), "invalid TOML");
}

TEST_CASE("malformed peer files are database errors naming the file", "[peer][errors]") {
  struct row {
    const char* owner;
    std::string_view peer;
    const char* file;
    const char* content;
    const char* fragment;
  };
  for (const row& r : {
           row{"AA", ca_id, "root-ca.crt", "dump\n", "no PEM certificate block"},
           row{"AA", ca_id, "nodetype.txt", "Creditors Agents\n\n", "invalid node type"},
           row{"AA", ca_id, "nodetype.txt", "Creditors Agents ", "invalid node type"},
           row{"AA", ca_id, "subnet.txt", "00001\n", "invalid subnet \"00001\""},
           row{"AA", da_id, "subnet.txt", "+1234abcd0\n", "invalid subnet"},
           row{"CA", aa_id, "masq-subnet.txt", "0x0001\n", "invalid subnet"},
           row{"AA", ca_id, "nodeinfo/stomp.toml", "servers = [\n", "invalid TOML"},
           row{"AA", ca_id, "nodeinfo/stomp.toml", "servers = [\"a:0\"]\nhost=\"/\"\ndestination=\"/\"\n",
               "servers[0]: invalid port \"0\""},
           row{"AA", ca_id, "nodeinfo/stomp.toml", "servers = [\"a:1\"]\nhost=1\ndestination=\"/\"\n",
               "host: expected a string"},
       }) {
    INFO(r.owner << " " << r.peer << " " << r.file << " <- " << r.content);
    const temp_tree tree{reference_fixture()};
    tree.write(peer_path(r.owner, r.peer, r.file), r.content);
    require_database_error([&] { database{tree / r.owner}.find_peer(r.peer, false); },
                           tree / peer_path(r.owner, r.peer, r.file), r.fragment);
  }
}

TEST_CASE("a masquerading subnet must have the mask of the owner's creditors subnet", "[peer][errors]") {
  const temp_tree tree{reference_fixture()};
  tree.write(peer_path("CA", aa_id, "masq-subnet.txt"), "0001\n");
  const database db{tree / "CA"};
  require_database_error([&] { db.find_peer(aa_id, true); }, tree / peer_path("CA", aa_id, "masq-subnet.txt"),
                         "mask");
  tree.write(peer_path("CA", aa_id, "masq-subnet.txt"), "00000a\n");  // same mask, another value: fine
  CHECK(require_peer(db, aa_id).creditors == parsed("00000a"));
}

TEST_CASE("owner and peer type combinations other than AA with CA or DA", "[peer][errors]") {
  struct row {
    const char* owner;
    std::string_view peer;
    const char* nodetype;
  };
  for (const row& r : {
           row{"AA", "abcdef01", "Accounting Authorities\n"},
           row{"CA", "0123456789abcdef0123456789abcdef", "Creditors Agents\n"},
           row{"CA", "0123456789abcdef0123456789abcdef", "Debtors Agents\n"},
           row{"DA", "0123456789abcdef0123456789abcdef", "Creditors Agents\n"},
           row{"DA", "0123456789abcdef0123456789abcdef", "Debtors Agents\n"},
       }) {
    INFO(r.owner << " owner, peer " << r.nodetype);
    const temp_tree tree{reference_fixture()};
    const std::string manifest = "servers = [\"a:1\"]\nhost = \"/\"\ndestination = \"/\"\n";
    tree.write(peer_entries(r.owner, {r.peer, r.nodetype, manifest, "subnet.txt", "000003\n", "ACTIVE"}));
    tree.write(peer_path(r.owner, r.peer, "masq-subnet.txt"), "000003\n");
    require_database_error([&] { database{tree / r.owner}.find_peer(r.peer, true); },
                           tree / peer_path(r.owner, r.peer, "nodetype.txt"), "invalid peer type");
  }
}

TEST_CASE("a peer's node ID must fit its node type", "[peer][errors]") {
  const temp_tree tree{reference_fixture()};
  const std::string manifest = "servers = [\"a:1\"]\nhost = \"/\"\ndestination = \"/\"\n";
  tree.write(peer_entries("AA", {"abcdef01", "Creditors Agents\n", manifest, "subnet.txt", "000003\n", "ACTIVE"}));
  tree.write(peer_entries("CA", {ca_id, "Accounting Authorities\n", manifest, "masq-subnet.txt", "000003\n",
                                 "ACTIVE"}));
  require_database_error([&] { database{tree / "AA"}.find_peer("abcdef01", true); },
                         tree / peer_path("AA", "abcdef01", "nodetype.txt"), "does not fit node ID");
  require_database_error([&] { database{tree / "CA"}.find_peer(ca_id, true); },
                         tree / peer_path("CA", ca_id, "nodetype.txt"), "does not fit node ID");
}

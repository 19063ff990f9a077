#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "expect_error.hpp"
#include "nodedata/database.hpp"
#include "reference_fixture.hpp"
#include "temp_tree.hpp"

using namespace swpt::nodedata;
using namespace swpt::nodedata::testing;

using listing = std::vector<std::pair<std::string, peer_state>>;

TEST_CASE("list_peers reports every registered peer with its state, sorted", "[list]") {
  const temp_tree tree{reference_fixture()};
  CHECK(database{tree / "AA"}.list_peers() == listing{
                                                  {std::string{da_id}, peer_state::active},
                                                  {std::string{deactivated_ca_id}, peer_state::deactivated},
                                                  {std::string{ca_id}, peer_state::active},
                                              });
  CHECK(database{tree / "CA"}.list_peers() == listing{
                                                  {std::string{aa_id}, peer_state::active},
                                                  {std::string{deactivated_aa_id}, peer_state::deactivated},
                                              });
  CHECK(database{tree / "DA"}.list_peers() == listing{{std::string{aa_id}, peer_state::active}});
}

TEST_CASE("list_peers skips unregistered and odd entries without parsing anything", "[list]") {
  const temp_tree tree{reference_fixture()};
  tree.remove("AA/peers/" + std::string{ca_id} + "/sub-ca.crt");                  // not registered yet
  tree.remove("AA/peers/" + std::string{da_id} + "/ACTIVE");                      // registered only
  tree.write("AA/peers/" + std::string{deactivated_ca_id} + "/nodetype.txt", "");  // broken, but not parsed
  tree.write("AA/peers/abcdef01", "a file");
  tree.write("AA/peers/ABCDEF01/sub-ca.crt", "not a node ID");
  tree.write("AA/peers/.tmp-0123/sub-ca.crt", "a temporary directory");
  CHECK(database{tree / "AA"}.list_peers() == listing{
                                                  {std::string{da_id}, peer_state::registered},
                                                  {std::string{deactivated_ca_id}, peer_state::deactivated},
                                              });
}

TEST_CASE("list_peers fails when peers/ cannot be listed", "[list]") {
  const temp_tree tree{{{"db/", ""}}};
  require_database_error([&] { database{tree.root()}.list_peers(); }, tree / "peers", "cannot list directory");
}

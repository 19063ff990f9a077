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

}  // namespace

TEST_CASE("owner data of the reference AA, CA and DA nodes", "[owner]") {
  const temp_tree tree{reference_fixture()};

  const owner_data aa = database{tree / "AA"}.read_owner();
  CHECK(aa.type == node_type::accounting_authority);
  CHECK(aa.node_id == "1234abcd");
  CHECK(aa.creditors == parsed(""));
  CHECK(aa.debtors == parsed("1234abcd"));
  CHECK(aa.root_ca_pem == pem_block("AAroot"));  // text dump before the block dropped

  const owner_data ca = database{tree / "CA"}.read_owner();
  CHECK(ca.type == node_type::creditors_agent);
  CHECK(ca.node_id == ca_id);
  CHECK(ca.creditors == parsed("000008"));
  CHECK(ca.debtors == parsed(""));
  CHECK(ca.root_ca_pem == pem_block("CAroot"));

  const owner_data da = database{tree / "DA"}.read_owner();
  CHECK(da.type == node_type::debtors_agent);
  CHECK(da.node_id == da_id);
  CHECK(da.creditors == parsed("0000000000000000"));
  CHECK(da.debtors == parsed("1234abcd00"));
}

TEST_CASE("the owner is read afresh on every call", "[owner]") {
  const temp_tree tree{reference_fixture()};
  const database db{tree / "CA"};
  CHECK(db.read_owner().creditors == parsed("000008"));
  tree.write("CA/creditors-subnet.txt", "000009");
  CHECK(db.read_owner().creditors == parsed("000009"));
}

TEST_CASE("missing owner files are errors naming the file", "[owner]") {
  for (const char* file : {"CA/db/nodetype", "CA/db/nodeid", "CA/creditors-subnet.txt", "CA/root-ca.crt",
                           "DA/debtors-subnet.txt", "AA/root-ca.crt"}) {
    INFO(file);
    const temp_tree tree{reference_fixture()};
    tree.remove(file);
    const std::string_view dir = std::string_view{file}.substr(0, 2);
    require_database_error([&] { database{tree / dir}.read_owner(); }, tree / file, "cannot open file");
  }
}

TEST_CASE("malformed owner files are errors naming the file", "[owner]") {
  struct row {
    const char* file;
    const char* content;
    const char* fragment;
  };
  for (const row& r : {
           row{"AA/db/nodetype", "Accounting Authority\n", "invalid node type \"Accounting Authority\""},
           row{"AA/db/nodetype", "Accounting Authorities\n\n", "invalid node type"},
           row{"AA/db/nodeid", "1234ABCD\n", "invalid node ID \"1234ABCD\""},
           row{"AA/db/nodeid", "5921983fe0e6eb987aeedca54ad3c708\n", "invalid node ID"},
           row{"CA/db/nodeid", "1234abcd\n", "invalid node ID \"1234abcd\""},
           row{"DA/db/nodeid", "060791aeca7637fa3357dfc0299fb4c5 \n", "invalid node ID"},
           row{"CA/creditors-subnet.txt", "0x0008\n", "invalid subnet \"0x0008\""},
           row{"DA/debtors-subnet.txt", "1234abcd0\n", "invalid subnet"},
           row{"DA/debtors-subnet.txt", "", "empty subnet"},
           row{"CA/root-ca.crt", "text dump only\n", "no PEM certificate block"},
       }) {
    INFO(r.file << " <- " << r.content);
    const temp_tree tree{reference_fixture()};
    tree.write(r.file, r.content);
    const std::string_view dir = std::string_view{r.file}.substr(0, 2);
    require_database_error([&] { database{tree / dir}.read_owner(); }, tree / r.file, r.fragment);
  }
}

#include <catch2/catch.hpp>

#include "expect_error.hpp"
#include "nodedata/one_line_file.hpp"
#include "temp_tree.hpp"

using namespace swpt::nodedata;
using namespace swpt::nodedata::testing;
using swpt::node_type;

TEST_CASE("exactly one line end is removed", "[one-line]") {
  CHECK(strip_line_end("abc\n") == "abc");
  CHECK(strip_line_end("abc\r\n") == "abc");
  CHECK(strip_line_end("abc") == "abc");
  CHECK(strip_line_end("abc\n\n") == "abc\n");
  CHECK(strip_line_end("abc\r") == "abc\r");
  CHECK(strip_line_end("abc \n") == "abc ");
  CHECK(strip_line_end("\n") == "");
  CHECK(strip_line_end("") == "");
}

TEST_CASE("node type files accept LF, CRLF or no line end", "[one-line]") {
  const temp_tree tree{{
      {"crlf", "Creditors Agents\r\n"},
      {"none", "Accounting Authorities"},
      {"lf", "Debtors Agents\n"},
  }};
  CHECK(read_node_type_file(tree / "crlf") == node_type::creditors_agent);
  CHECK(read_node_type_file(tree / "none") == node_type::accounting_authority);
  CHECK(read_node_type_file(tree / "lf") == node_type::debtors_agent);
}

TEST_CASE("node type files with anything else are invalid", "[one-line]") {
  const temp_tree tree{{
      {"two-newlines", "Creditors Agents\n\n"},
      {"trailing-space", "Creditors Agents \n"},
      {"lone-cr", "Creditors Agents\r"},
      {"leading-space", " Creditors Agents"},
      {"lowercase", "creditors agents\n"},
      {"empty", ""},
  }};
  for (const char* name : {"two-newlines", "trailing-space", "lone-cr", "leading-space", "lowercase", "empty"}) {
    INFO(name);
    require_database_error([&] { read_node_type_file(tree / name); }, tree / name, "invalid node type");
  }
}

TEST_CASE("subnet files hold [0-9a-fA-F] in whole bytes", "[one-line]") {
  const temp_tree tree{{
      {"ok", "000001\n"},
      {"upper", "1234ABCD00\r\n"},
      {"odd", "abc\n"},
      {"lenient-int", "0x12\n"},
      {"space", " 12\n"},
      {"sign", "+1\n"},
      {"two-newlines", "000001\n\n"},
      {"too-long", "0a0000000000000013431545\n"},
      {"empty", "\n"},
  }};
  CHECK(read_subnet_file(tree / "ok") == *swpt::subnet::parse("000001"));
  CHECK(read_subnet_file(tree / "upper") == *swpt::subnet::parse("1234abcd00"));
  for (const char* name : {"odd", "lenient-int", "space", "sign", "two-newlines", "too-long"}) {
    INFO(name);
    require_database_error([&] { read_subnet_file(tree / name); }, tree / name, "invalid subnet");
  }
  require_database_error([&] { read_subnet_file(tree / "empty"); }, tree / "empty", "empty subnet");
}

TEST_CASE("node ID files must fit the node type", "[one-line]") {
  const temp_tree tree{{
      {"aa", "1234abcd\n"},
      {"ca", "5921983fe0e6eb987aeedca54ad3c708\r\n"},
      {"upper", "1234ABCD\n"},
      {"short", "1234abc\n"},
      {"space", "1234abcd \n"},
  }};
  CHECK(read_node_id_file(tree / "aa", node_type::accounting_authority) == "1234abcd");
  CHECK(read_node_id_file(tree / "ca", node_type::creditors_agent) == "5921983fe0e6eb987aeedca54ad3c708");
  CHECK(read_node_id_file(tree / "ca", node_type::debtors_agent) == "5921983fe0e6eb987aeedca54ad3c708");
  require_database_error([&] { read_node_id_file(tree / "aa", node_type::creditors_agent); }, tree / "aa",
                         "invalid node ID \"1234abcd\"");
  require_database_error([&] { read_node_id_file(tree / "ca", node_type::accounting_authority); }, tree / "ca",
                         "invalid node ID");
  for (const char* name : {"upper", "short", "space"}) {
    INFO(name);
    require_database_error([&] { read_node_id_file(tree / name, node_type::accounting_authority); }, tree / name,
                           "invalid node ID");
  }
}

TEST_CASE("missing and non-regular files are errors naming the file", "[one-line]") {
  const temp_tree tree{{{"dir/", ""}}};
  require_database_error([&] { read_one_line_file(tree / "missing"); }, tree / "missing",
                         "No such file or directory");
  require_database_error([&] { read_one_line_file(tree / "dir"); }, tree / "dir", "not a regular file");
}

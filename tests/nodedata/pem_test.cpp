#include <string>

#include <catch2/catch.hpp>

#include "expect_error.hpp"
#include "nodedata/pem.hpp"
#include "reference_fixture.hpp"
#include "temp_tree.hpp"

using namespace swpt::nodedata;
using namespace swpt::nodedata::testing;

namespace {

const std::string first = pem_block("first");
const std::string second = pem_block("second");

std::string with_crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("a bare certificate is returned as is", "[pem]") {
  CHECK(first_pem_certificate(first) == first);
}

TEST_CASE("text before and after the block is ignored", "[pem]") {
  const std::string dump =
      "Certificate:\n    Data:\n        Version: 3 (0x2)\n        Serial Number: 01:02\n"
      "    Signature Algorithm: ecdsa-with-SHA384\n";
  CHECK(first_pem_certificate(dump + first + "trailing text\n") == first);
}

TEST_CASE("the first of several certificates is taken", "[pem]") {
  CHECK(first_pem_certificate(first + second) == first);
  CHECK(first_pem_certificate("dump\n" + second + "dump\n" + first) == second);
}

TEST_CASE("the line break after END is optional", "[pem]") {
  std::string no_final_newline = first;
  no_final_newline.pop_back();
  CHECK(first_pem_certificate(no_final_newline) == first);
}

TEST_CASE("CRLF line ends are accepted and normalized", "[pem]") {
  CHECK(first_pem_certificate(with_crlf("dump\n" + first + second)) == first);
}

TEST_CASE("broken blocks are skipped in favour of a later good one", "[pem]") {
  const std::string dashes_inside =
      "-----BEGIN CERTIFICATE-----\nAAAA\n-- not base64 --\n-----END CERTIFICATE-----\n";
  const std::string unterminated = "-----BEGIN CERTIFICATE-----\nAAAA\n";
  CHECK(first_pem_certificate(dashes_inside + second) == second);
  CHECK(first_pem_certificate(unterminated + second) == second);
}

TEST_CASE("text without a complete block gives an empty string", "[pem]") {
  for (const std::string& text : {
           std::string{},
           std::string{"just a text dump\n"},
           std::string{"-----BEGIN CERTIFICATE-----\nAAAA\n"},                            // no END
           std::string{"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"},       // no body
           std::string{"-----BEGIN CERTIFICATE-----\nAA AA\n-----END CERTIFICATE-----\n"},  // not base64
           std::string{"-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"},     // empty line
           std::string{" -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},  // not exact
           std::string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE----- \n"},  // not exact
           std::string{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
           std::string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}.substr(0, 40),
       }) {
    INFO(text);
    CHECK(first_pem_certificate(text).empty());
  }
}

TEST_CASE("PEM files without a block are errors naming the file", "[pem]") {
  const temp_tree tree{{
      {"good.crt", "dump\n" + first},
      {"half-written.crt", "-----BEGIN CERTIFICATE-----\nMIIBszCC"},
      {"empty.crt", ""},
  }};
  CHECK(read_pem_file(tree / "good.crt") == first);
  require_database_error([&] { read_pem_file(tree / "half-written.crt"); }, tree / "half-written.crt",
                         "no PEM certificate block");
  require_database_error([&] { read_pem_file(tree / "empty.crt"); }, tree / "empty.crt",
                         "no PEM certificate block");
  require_database_error([&] { read_pem_file(tree / "missing.crt"); }, tree / "missing.crt", "cannot open file");
}

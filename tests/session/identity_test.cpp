#include "session/identity.hpp"

#include <catch2/catch.hpp>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct attribute {
  const char* name;  // "O", "OU", "serialNumber", "CN"
  const char* value;
  bool joins_previous = false;  // part of a multi-valued RDN with the one before
};

// A certificate holding only a subject: node_id_of() reads nothing else.
std::unique_ptr<X509, decltype(&X509_free)> with_subject(const std::vector<attribute>& attributes) {
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), &X509_free};
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& a : attributes)
    REQUIRE(X509_NAME_add_entry_by_txt(name, a.name, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(a.value), -1, -1,
                                       a.joins_previous ? -1 : 0) == 1);
  return cert;
}

constexpr const char* registry = "Swaptacular Nodes Registry";

}  // namespace

TEST_CASE("the node ID is the serialNumber of a Swaptacular subject", "[identity]") {
  CHECK(swpt::session::node_id_of(with_subject({{"O", registry}, {"OU", "Accounting Authorities"},
                                                {"serialNumber", "1234abcd"}}).get()) == "1234abcd");
  CHECK(swpt::session::node_id_of(with_subject({{"serialNumber", "1234abcd"}, {"O", registry}}).get()) ==
        "1234abcd");
}

TEST_CASE("the organization may be any ASN.1 string type", "[identity]") {
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), &X509_free};
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string utf16be;  // BMPString content: the ASCII text as big-endian UTF-16
  for (const char c : std::string_view{registry}) utf16be += {'\0', c};
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", V_ASN1_BMPSTRING,
                                     reinterpret_cast<const unsigned char*>(utf16be.data()),
                                     static_cast<int>(utf16be.size()), -1, 0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("1234abcd"), -1, -1, 0) == 1);
  CHECK(swpt::session::node_id_of(cert.get()) == "1234abcd");
}

TEST_CASE("subjects that do not identify a node", "[identity]") {
  using swpt::session::node_id_of;
  CHECK_FALSE(node_id_of(nullptr));
  CHECK_FALSE(node_id_of(with_subject({{"O", "Another Registry"}, {"serialNumber", "1234abcd"}}).get()));
  CHECK_FALSE(node_id_of(with_subject({{"serialNumber", "1234abcd"}}).get()));
  CHECK_FALSE(node_id_of(with_subject({{"O", registry}}).get()));
  // Repeats and multi-valued RDNs are refused even where the original's scan
  // would have used what it found first.
  CHECK_FALSE(node_id_of(with_subject({{"O", registry}, {"serialNumber", "1234abcd"}, {"O", registry}}).get()));
  CHECK_FALSE(node_id_of(
      with_subject({{"O", registry}, {"serialNumber", "1234abcd"}, {"serialNumber", "deadbeef"}}).get()));
  CHECK_FALSE(node_id_of(with_subject({{"O", registry}, {"serialNumber", "1234abcd", true}}).get()));
  CHECK_FALSE(node_id_of(with_subject({{"O", registry}, {"CN", "x"}, {"serialNumber", "1234abcd", true}}).get()));
}

#include "session/identity.hpp"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <map>
#include <string_view>

namespace swpt::session {
namespace {

// The attribute as UTF-8, whatever ASN.1 string type encodes it (a
// BMPString "Swaptacular Nodes Registry" is the same organization).
std::optional<std::string> text_of(const X509_NAME_ENTRY* entry) {
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (size < 0) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return text;
}

}  // namespace

std::optional<std::string> node_id_of(X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  const int count = X509_NAME_entry_count(subject);

  std::map<int, int> rdn_sizes;  // RDN index -> attributes in it
  for (int i = 0; i < count; ++i) ++rdn_sizes[X509_NAME_ENTRY_set(X509_NAME_get_entry(subject, i))];

  std::optional<std::string> organization, serial_number;
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    auto* slot = nid == NID_organizationName ? &organization : nid == NID_serialNumber ? &serial_number : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value() || rdn_sizes[X509_NAME_ENTRY_set(entry)] != 1) return std::nullopt;
    *slot = text_of(entry);
    if (!*slot) return std::nullopt;
  }
  if (organization != swaptacular_organization || !serial_number) return std::nullopt;
  return serial_number;
}

}  // namespace swpt::session

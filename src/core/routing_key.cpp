#include "core/routing_key.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace swpt {

namespace {

// Fetched once: with EVP_md5(), every digest looks the implementation up in
// OpenSSL's provider store again (a lock and a search by name), which costs
// more than the digest of 16 bytes itself; the server does it per message.
const EVP_MD* md5() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}

}  // namespace

std::string routing_key(std::initializer_list<std::int64_t> ids) {
  std::array<unsigned char, 16> input{};
  std::size_t size = 0;
  for (std::int64_t id : ids) {
    if (size == input.size()) throw std::invalid_argument("routing_key: at most two IDs");
    auto bits = static_cast<std::uint64_t>(id);
    for (int i = 7; i >= 0; --i, bits >>= 8) input[size + static_cast<std::size_t>(i)] = bits & 0xff;
    size += 8;
  }

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const EVP_MD* md = md5();
  if (md == nullptr || EVP_Digest(input.data(), size, digest.data(), &digest_size, md, nullptr) != 1)
    throw std::runtime_error("routing_key: MD5 is unavailable");

  std::string key;
  key.reserve(47);
  for (int bit = 0; bit < 24; ++bit) {
    if (bit > 0) key += '.';
    key += (digest[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1 ? '1' : '0';
  }
  return key;
}

}  // namespace swpt

#include "probe.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace swpt::e2e {

namespace {

constexpr const char* tcp_established = "01";  // st in /proc/net/tcp

// The socket inodes among the process's open files.
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), link_ec).string();
    if (!link_ec && target.starts_with("socket:[") && target.ends_with("]"))
      inodes.insert(target.substr(8, target.size() - 9));
  }
  return inodes;
}

std::uint16_t port_of(const std::string& address) {  // "0100007F:1F90"
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1), nullptr, 16));
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string{buf};
  }
  return out.empty() ? "no OpenSSL error" : out;
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + openssl_errors()); }

template <auto Free>
struct free_with {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

// Loads every certificate of `chain_pem` (leaf first) and the key.
void use_credentials(SSL_CTX* ctx, const std::string& chain_pem, const std::string& key_pem) {
  using bio_ptr = std::unique_ptr<BIO, free_with<&BIO_free>>;
  bio_ptr chain{BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()))};
  std::unique_ptr<X509, free_with<&X509_free>> leaf{PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)};
  if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) fail("the client certificate");
  while (X509* more = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr))
    if (SSL_CTX_add0_chain_cert(ctx, more) != 1) fail("a chain certificate");
  ERR_clear_error();  // the end of the PEM text
  bio_ptr key_bio{BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()))};
  std::unique_ptr<EVP_PKEY, free_with<&EVP_PKEY_free>> key{
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)};
  if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) fail("the client key");
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::set<std::uint16_t> connections_to(pid_t pid, std::uint16_t remote_port) {
  const auto inodes = socket_inodes(pid);
  std::set<std::uint16_t> ports;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in{fmt::format("/proc/{}/net/{}", pid, table)};
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields{line};
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state == tcp_established && port_of(remote) == remote_port && inodes.count(inode) != 0)
        ports.insert(port_of(local));
    }
  }
  return ports;
}

std::string server_certificate_der(std::uint16_t port, const fixtures::network& net, const fixtures::node& client,
                                   const fixtures::node& server_node) {
  std::unique_ptr<SSL_CTX, free_with<&SSL_CTX_free>> ctx{SSL_CTX_new(TLS_client_method())};
  if (!ctx) fail("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the test compares the certificate itself
  use_credentials(ctx.get(), net.client_chain_pem(client, server_node), read_file(client.server_key));

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  std::unique_ptr<SSL, free_with<&SSL_free>> ssl{SSL_new(ctx.get())};
  const timeval bound{5, 0};  // every blocking step of the handshake
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  std::string der;
  std::string error;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    error = fmt::format("connect 127.0.0.1:{}: {}", port, std::strerror(errno));
  } else if (!ssl || SSL_set_fd(ssl.get(), fd) != 1 || SSL_connect(ssl.get()) != 1) {
    error = fmt::format("TLS handshake with 127.0.0.1:{}: {}", port, openssl_errors());
  } else if (X509* cert = SSL_get0_peer_certificate(ssl.get()); cert == nullptr) {
    error = fmt::format("127.0.0.1:{} sent no certificate", port);
  } else {
    unsigned char* out = nullptr;
    const int n = i2d_X509(cert, &out);
    der.assign(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n > 0 ? n : 0));
    OPENSSL_free(out);
    SSL_shutdown(ssl.get());  // close_notify; the server's answer is not awaited
  }
  ssl.reset();
  ::close(fd);
  if (!error.empty()) throw std::runtime_error(error);
  return der;
}

}  // namespace swpt::e2e

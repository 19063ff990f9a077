#pragma once
// A TLS connection over a non-blocking TCP socket, driven by OpenSSL
// directly: SSL_read only once the socket is readable (or OpenSSL holds
// decrypted bytes or records read ahead), SSL_write until it has taken
// everything, waiting for the socket whenever OpenSSL wants it. Unlike asio::ssl::stream, it keeps no
// buffers of its own, and an idle connection holds none of OpenSSL's either
// (SSL_MODE_RELEASE_BUFFERS): a daemon keeps hundreds of idle connections.
//
// One reader and one writer may use it at the same time from coroutines of
// the same single-threaded executor. Every operation is cancellable at its
// socket waits; a cancelled write() leaves a partial record behind, so the
// connection is only good for closing afterwards.
//
// The first tls_socket sets SIGPIPE to be ignored in the process: OpenSSL
// writes with write(2), and a vanished peer must not end the process.

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <openssl/types.h>

#include <cstddef>
#include <optional>
#include <system_error>
#include <utility>

namespace swpt::session {

class tls_socket {
 public:
  enum class role { client, server };

  tls_socket(asio::ip::tcp::socket socket, asio::ssl::context& ctx);
  ~tls_socket();
  tls_socket(tls_socket&& other) noexcept;
  tls_socket& operator=(tls_socket&&) = delete;
  tls_socket(const tls_socket&) = delete;
  tls_socket& operator=(const tls_socket&) = delete;

  asio::ip::tcp::socket& next_layer() noexcept { return socket_; }
  const asio::ip::tcp::socket& next_layer() const noexcept { return socket_; }
  SSL* native_handle() const noexcept { return ssl_; }
  asio::any_io_executor get_executor() { return socket_.get_executor(); }

  asio::awaitable<std::error_code> handshake(role r);

  // Completes once read_available() has something to return: OpenSSL holds
  // decrypted bytes, or the socket is readable (or has failed). The socket
  // wait is cancelled through `slot`, not through the awaiting coroutine's.
  asio::awaitable<std::error_code> wait_readable(asio::cancellation_slot slot);

  // Decrypts what is available without waiting: (no error, n > 0), or
  // (would_block, 0) when a record is still incomplete, or the end of the
  // stream (eof) or an error. When OpenSSL must first write (a TLS 1.3 key
  // update answer), it waits for the socket to be writable here.
  asio::awaitable<std::pair<std::error_code, std::size_t>> read_available(asio::mutable_buffer buffer);

  // Writes all of `data`.
  asio::awaitable<std::error_code> write(asio::const_buffer data);

  // Sends close_notify (without waiting for the peer's); does nothing after
  // a fatal error or before the handshake finished, as OpenSSL requires.
  asio::awaitable<std::error_code> shutdown();

 private:
  // After an OpenSSL call returned `result`: an empty optional when the
  // operation should be retried after waiting for the socket (the wait is
  // done here), else its outcome.
  asio::awaitable<std::optional<std::error_code>> settle(int result, int saved_errno);
  std::error_code error_of(int result, int saved_errno);

  asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  bool fatal_ = false;  // OpenSSL reported SSL_ERROR_SYSCALL or SSL_ERROR_SSL
  bool needs_socket_ = false;  // the last read_available() ended in "want read"
};

}  // namespace swpt::session

#include "session/tls_socket.hpp"

#include <optional>

#include "session/connection.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <stdexcept>

namespace swpt::session {

namespace {

// OpenSSL writes to its socket with write(2), which raises SIGPIPE when the
// peer has gone; that must be an error of one connection, never the death
// of the process. (asio passes MSG_NOSIGNAL on its own sends; OpenSSL can't.)
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

tls_socket::tls_socket(asio::ip::tcp::socket socket, asio::ssl::context& ctx)
    : socket_{std::move(socket)}, ssl_{SSL_new(ctx.native_handle())} {
  if (ssl_ == nullptr) throw std::bad_alloc{};
  ignore_sigpipe();
  SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read(2) takes whatever the socket holds, up to a buffer: without
  // it, OpenSSL reads each record's 5-byte header and then its body.
  SSL_set_read_ahead(ssl_, 1);
  if (socket_.is_open()) {
    socket_.non_blocking(true);
    SSL_set_fd(ssl_, socket_.native_handle());
  }
}

tls_socket::~tls_socket() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

tls_socket::tls_socket(tls_socket&& other) noexcept
    : socket_{std::move(other.socket_)}, ssl_{std::exchange(other.ssl_, nullptr)} {}

// Call right after the OpenSSL call that returned `result`, before anything
// clears the error queue, with the errno saved then.
std::error_code tls_socket::error_of(int result, int saved_errno) {
  const int reason = SSL_get_error(ssl_, result);
  const unsigned long queued = ERR_peek_error();
  ERR_clear_error();
  switch (reason) {
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;  // close_notify
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return asio::error::would_block;
    case SSL_ERROR_SYSCALL:
      fatal_ = true;
      if (queued != 0) return {static_cast<int>(queued), asio::error::get_ssl_category()};
      if (saved_errno != 0) return {saved_errno, std::system_category()};
      return asio::ssl::error::stream_truncated;  // the peer closed without close_notify
    default:
      fatal_ = true;
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::ssl::error::stream_truncated;
      if (queued != 0) return {static_cast<int>(queued), asio::error::get_ssl_category()};
      return asio::error::operation_not_supported;
  }
}

asio::awaitable<std::optional<std::error_code>> tls_socket::settle(int result, int saved_errno) {
  const int reason = SSL_get_error(ssl_, result);
  if (reason != SSL_ERROR_WANT_READ && reason != SSL_ERROR_WANT_WRITE) co_return error_of(result, saved_errno);
  const auto wait = reason == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write;
  auto [ec] = co_await socket_.async_wait(wait, nothrow);
  if (ec) co_return ec;
  co_return std::nullopt;
}

asio::awaitable<std::error_code> tls_socket::handshake(role r) {
  if (r == role::client) SSL_set_connect_state(ssl_);
  else SSL_set_accept_state(ssl_);
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_);
    const int saved_errno = errno;
    if (result == 1) co_return std::error_code{};
    if (auto outcome = co_await settle(result, saved_errno)) co_return *outcome;
  }
}

asio::awaitable<std::error_code> tls_socket::wait_readable(asio::cancellation_slot slot) {
  // Decrypted bytes, or (read ahead) records OpenSSL has not looked at yet.
  // Once a read said it needs the socket, what OpenSSL holds is a partial
  // record, which SSL_has_pending reports too: the socket is waited for.
  if (SSL_pending(ssl_) > 0 || (!needs_socket_ && SSL_has_pending(ssl_) == 1)) co_return std::error_code{};
  // SSL_MODE_RELEASE_BUFFERS frees the read buffer only after a record of
  // application data; a read that ended in "want read" after a handshake
  // message (a TLS 1.3 session ticket) keeps its 16 KiB. Freed here, before
  // the wait; OpenSSL keeps a buffer that holds a partial record.
  SSL_free_buffers(ssl_);
  auto token = asio::bind_cancellation_slot(slot, nothrow);
  auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, std::move(token));
  co_return ec;
}

asio::awaitable<std::pair<std::error_code, std::size_t>> tls_socket::read_available(asio::mutable_buffer buffer) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
    const int saved_errno = errno;
    needs_socket_ = result != 1 && SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ;
    if (result == 1) co_return std::pair{std::error_code{}, n};
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_WRITE) co_return std::pair{error_of(result, saved_errno), std::size_t{0}};
    if (auto outcome = co_await settle(result, saved_errno)) co_return std::pair{*outcome, std::size_t{0}};
  }
}

asio::awaitable<std::error_code> tls_socket::write(asio::const_buffer data) {
  const auto* bytes = static_cast<const char*>(data.data());
  std::size_t left = data.size();
  while (left > 0) {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int result = SSL_write_ex(ssl_, bytes, left, &n);
    const int saved_errno = errno;
    if (result == 1) {
      bytes += n;
      left -= n;
      continue;
    }
    if (auto outcome = co_await settle(result, saved_errno)) co_return *outcome;
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> tls_socket::shutdown() {
  if (fatal_ || !SSL_is_init_finished(ssl_)) co_return std::error_code{};
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_shutdown(ssl_);
    const int saved_errno = errno;
    if (result >= 0) co_return std::error_code{};  // close_notify sent; the peer's is not awaited
    if (auto outcome = co_await settle(result, saved_errno)) co_return *outcome;
  }
}

}  // namespace swpt::session

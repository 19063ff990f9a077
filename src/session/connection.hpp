#pragma once
// The machinery every STOMP connection shares, whichever side opened it: a
// TLS stream, the frame reader, one writer coroutine fed by an outbox,
// heart-beats, the watchdog and an orderly close. The server and client
// sessions derive from it and add the protocol of their side.
//
// Thread contract: a connection and everything it runs live on one
// single-threaded executor (the io_context run by one thread); only
// confirmation handlers come from other threads, and they post().

#include "core/stomp/heartbeat.hpp"
#include "core/stomp/parser.hpp"
#include "core/stomp/serializer.hpp"
#include "log/log.hpp"
#include "session/settings.hpp"
#include "session/tls_socket.hpp"

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace swpt::session {

using tcp = asio::ip::tcp;

// Completion token for I/O on the network path: errors come back as values.
inline constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// A wake-up signal between coroutines of one connection. A waiter checks
// its condition before waiting; on a single-threaded executor nothing can
// run between that check and the wait, so no notification is lost.
class event {
 public:
  explicit event(const asio::any_io_executor& ex) : timer_{ex, asio::steady_timer::time_point::max()} {}
  asio::awaitable<void> wait();
  void notify() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// Why reading stopped: end of stream, an I/O error, or a broken frame
// (then `error` is a stomp::errc whose message() is the ERROR text).
struct read_failure {
  std::error_code error;
  bool protocol = false;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tls_socket stream, const timing& times, const stomp::parser_limits& limits,
             log::logger logger);
  virtual ~connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  tls_socket& stream() noexcept { return stream_; }
  const std::string& remote() const noexcept { return remote_; }
  bool closing() const noexcept { return closing_; }

  // Ends the connection at once: what is queued is dropped, every wait of
  // the session's coroutines completes, run() returns soon after (for a
  // terminal stop; the graceful ones send their last frames first).
  void abort();

 protected:
  // The next frame, reading from the stream when none is buffered. The view
  // is valid until the next call.
  asio::awaitable<std::variant<stomp::frame_view, read_failure>> read_frame();

  // From now on read_frame() returns operation_aborted instead of waiting
  // for more bytes (a graceful stop reads no new frames).
  void stop_reading();

  // The watchdog counts silence only while we read: a peer whose bytes sit
  // unread (flow control, a graceful stop) is not silent. Pausing twice is
  // pausing once.
  void pause_silence_count();
  void resume_silence_count();

  // Queues a frame (or a heart-beat EOL) for the writer.
  void send(std::string_view command, std::initializer_list<stomp::header_view> headers,
            std::string_view body = {});
  std::string& outbox() noexcept { return outbox_; }
  void wake_writer() { writer_wake_.notify(); }

  // Stops reading and heart-beats; the writer still delivers what is queued,
  // but only for timing::close_timeout, after which the socket is closed.
  void close();

  // Runs `protocol` (the side's reading loop) with the writer until it
  // returns, then closes and shuts TLS down. `protocol` must return once
  // close() has been called (e.g. by racing until_closing()). `on_silence`
  // is called when the watchdog gives up (the peer sent nothing for too
  // long).
  asio::awaitable<void> run(asio::awaitable<void> protocol);

  // Starts heart-beats and the watchdog with the negotiated intervals. Both
  // are timers with a callback, not coroutines: an idle connection (a
  // daemon keeps a thousand) holds no frames for them. They end at close().
  void start_heartbeats(const stomp::heartbeat_intervals& intervals);
  virtual void on_silence(double seconds) = 0;
  // Called by the writer before each write, so that a side can coalesce
  // frames (one RECEIPT for many confirmations) into the outbox.
  virtual void before_write() {}

  // Completes once close() has been called.
  asio::awaitable<void> until_closing();

  const timing& times() const noexcept { return times_; }
  const log::logger& logger() const noexcept { return logger_; }
  // From now on every line of this connection names `key` (the peer, once known).
  void add_log_field(std::string_view key, std::string_view value) { logger_ = logger_.with(key, value); }

 private:
  asio::awaitable<void> writer();
  void next_heartbeat();
  void next_watchdog_check(std::chrono::steady_clock::duration limit);
  // Completes once the stream has something to read, or with an error
  // (operation_aborted after stop_reading() or a cancellation).
  asio::awaitable<std::error_code> wait_readable();

  tls_socket stream_;
  timing times_;
  log::logger logger_;
  std::string remote_;

  stomp::parser parser_;
  std::string in_;                // received bytes; [in_begin_, in_.size()) not yet consumed
  std::size_t in_begin_ = 0;
  std::size_t pending_drop_ = 0;  // consumed by the frame last returned

  std::string outbox_;
  event writer_wake_;
  event closing_event_;
  asio::cancellation_signal read_wait_;  // ends a pending wait_readable()
  bool closing_ = false;
  bool reading_stopped_flag_ = false;
  bool heartbeats_started_ = false;
  stomp::heartbeat_intervals intervals_;
  std::chrono::steady_clock::time_point last_received_;
  std::optional<std::chrono::steady_clock::time_point> silence_paused_since_;
  asio::steady_timer close_deadline_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer watchdog_timer_;
};

}  // namespace swpt::session

#include "session/connection.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include <array>

namespace swpt::session {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

namespace {

// Bytes asked of the stream per read: big enough for dozens of typical SEND
// frames, small enough for thousands of idle connections.
constexpr std::size_t read_chunk = 16 * 1024;

// What an idle connection's write buffers may keep: a few frames.
constexpr std::size_t idle_write_capacity = 4 * 1024;

// How often the watchdog looks at the time of the last received byte.
constexpr auto watchdog_period = std::chrono::seconds{5};

std::string describe(const tls_socket& stream) {
  std::error_code ec;
  const auto ep = stream.next_layer().remote_endpoint(ec);
  if (ec) return "(unknown peer)";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

// The timer never expires: cancel() completes the waits pending now and
// leaves it armed for the next ones. (Re-arming in wait() would cancel the
// other waiters' waits, and two waiters would wake each other forever.)
asio::awaitable<void> event::wait() { co_await timer_.async_wait(nothrow); }

connection::connection(tls_socket stream, const timing& times, const stomp::parser_limits& limits,
                       log::logger logger)
    : stream_{std::move(stream)},
      times_{times},
      logger_{std::move(logger)},
      remote_{describe(stream_)},
      parser_{limits},
      writer_wake_{stream_.get_executor()},
      closing_event_{stream_.get_executor()},
      last_received_{clock::now()},
      close_deadline_{stream_.get_executor()},
      heartbeat_timer_{stream_.get_executor()},
      watchdog_timer_{stream_.get_executor()} {}

asio::awaitable<std::variant<stomp::frame_view, read_failure>> connection::read_frame() {
  for (;;) {
    in_begin_ += std::exchange(pending_drop_, 0);
    auto r = parser_.parse(std::string_view{in_}.substr(in_begin_));
    switch (r.status) {
      case stomp::parse_status::heartbeat:
        in_begin_ += r.consumed;
        continue;
      case stomp::parse_status::frame:
        pending_drop_ = r.consumed;
        co_return r.frame;
      case stomp::parse_status::error:
        co_return read_failure{r.error, true};
      case stomp::parse_status::need_more:
        break;
    }
    // Keep only the unconsumed tail (a partial frame, at most a few KiB);
    // a connection waiting with nothing buffered holds no memory.
    in_.erase(0, std::exchange(in_begin_, 0));
    if (in_.empty()) std::string{}.swap(in_);
    if (reading_stopped_flag_) co_return read_failure{asio::error::operation_aborted, false};
    const auto waited = co_await wait_readable();  // not in the condition: GCC 12 miscompiles that
    if (reading_stopped_flag_) co_return read_failure{asio::error::operation_aborted, false};
    if (waited) co_return read_failure{waited, false};
    // Decrypt into a scratch buffer shared by the thread's connections (used
    // only between two suspensions), then keep just the bytes that came.
    thread_local std::array<char, read_chunk> scratch;
    auto [ec, n] = co_await stream_.read_available(asio::buffer(scratch));
    if (ec == asio::error::would_block) continue;  // a record is still incomplete
    if (ec) co_return read_failure{ec, false};
    in_.append(scratch.data(), n);
    last_received_ = clock::now();
  }
}

// Not a race of two coroutines (`||`): that costs two coroutine frames and
// the loser's cancellation exception on every read. The socket wait has a
// signal of its own, which stop_reading() emits, and to which a cancellation
// of the reading coroutine is passed on.
asio::awaitable<std::error_code> connection::wait_readable() {
  auto outer = (co_await asio::this_coro::cancellation_state).slot();
  if (outer.is_connected()) outer.assign([this](asio::cancellation_type type) { read_wait_.emit(type); });
  const auto ec = co_await stream_.wait_readable(read_wait_.slot());
  if (outer.is_connected()) outer.clear();
  co_return ec;
}

void connection::stop_reading() {
  reading_stopped_flag_ = true;
  read_wait_.emit(asio::cancellation_type::terminal);  // a pending wait ends; none: nothing happens
}

void connection::pause_silence_count() {
  if (!silence_paused_since_) silence_paused_since_ = clock::now();
}

void connection::resume_silence_count() {
  if (!silence_paused_since_) return;
  last_received_ += clock::now() - *silence_paused_since_;
  silence_paused_since_.reset();
}

void connection::abort() {
  outbox_.clear();
  close();
  // Not close(): OpenSSL still holds the descriptor's number until run()
  // closes it. A shut-down socket completes every wait with an error.
  std::error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
}

void connection::send(std::string_view command, std::initializer_list<stomp::header_view> headers,
                      std::string_view body) {
  stomp::serialize_frame(outbox_, command, headers, body);
  writer_wake_.notify();
}

void connection::close() {
  if (closing_) return;
  closing_ = true;
  closing_event_.notify();
  writer_wake_.notify();
  heartbeat_timer_.cancel();
  watchdog_timer_.cancel();
  close_deadline_.expires_after(times_.close_timeout);
  close_deadline_.async_wait([self = shared_from_this()](std::error_code ec) {
    // A peer that does not read loses its last frames. The descriptor stays
    // open (OpenSSL still holds its number) until run() closes it.
    if (!ec) self->stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  });
}

asio::awaitable<void> connection::run(asio::awaitable<void> protocol) {
  auto reading = [&]() -> asio::awaitable<void> {
    co_await std::move(protocol);
    close();
  };
  co_await (reading() && writer());

  if (stream_.next_layer().is_open()) {
    asio::steady_timer timer{stream_.get_executor(), times_.close_timeout};
    co_await (stream_.shutdown() || timer.async_wait(nothrow));
  }
  std::error_code ignored;
  stream_.next_layer().close(ignored);
  close_deadline_.cancel();
}

void connection::start_heartbeats(const stomp::heartbeat_intervals& intervals) {
  if (heartbeats_started_ || closing_) return;
  intervals_ = intervals;
  heartbeats_started_ = true;
  last_received_ = clock::now();
  if (intervals_.send.count() != 0) next_heartbeat();
  // Silent for longer than the receive interval plus the network delay (the
  // original, checking every 5 s, gives up between 40 and 45 s by default).
  if (intervals_.receive.count() != 0) next_watchdog_check(intervals_.receive + times_.network_delay);
}

asio::awaitable<void> connection::writer() {
  std::string writing;
  for (;;) {
    before_write();
    if (outbox_.empty()) {
      if (closing_) co_return;
      // A burst grew these to hold a window of frames: an idle connection
      // (a daemon keeps hundreds) gives that memory back before it waits.
      if (writing.capacity() > idle_write_capacity) std::string{}.swap(writing);
      if (outbox_.capacity() > idle_write_capacity) std::string{}.swap(outbox_);
      co_await writer_wake_.wait();
      continue;
    }
    writing.swap(outbox_);
    const auto ec = co_await stream_.write(asio::buffer(writing));
    writing.clear();
    if (ec) {
      outbox_.clear();
      close();
      co_return;
    }
  }
}

// The handlers hold the connection: close() cancels the timers, and a
// handler that comes after it does nothing.
void connection::next_heartbeat() {
  heartbeat_timer_.expires_after(intervals_.send);
  heartbeat_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->closing_) return;
    if (self->outbox_.empty()) {
      self->outbox_ += '\n';
      self->writer_wake_.notify();
    }
    self->next_heartbeat();
  });
}

void connection::next_watchdog_check(clock::duration limit) {
  watchdog_timer_.expires_after(std::min<clock::duration>(watchdog_period, limit));
  watchdog_timer_.async_wait([self = shared_from_this(), limit](std::error_code ec) {
    if (ec || self->closing_) return;
    const auto silent = clock::now() - self->last_received_;
    if (!self->silence_paused_since_ && silent > limit)
      return self->on_silence(std::chrono::duration<double>(silent).count());
    self->next_watchdog_check(limit);
  });
}

asio::awaitable<void> connection::until_closing() {
  while (!closing_) co_await closing_event_.wait();
}

}  // namespace swpt::session

#include "amqp/worker.hpp"

#include "amqp/backoff.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <cstdint>

namespace swpt::amqp {
namespace {

// The kernel send buffer asked for: room for a few hundred messages in
// flight, so that room() only says no when the broker stopped reading.
constexpr int send_buffer = 1 << 20;
// How often a worker whose socket is full looks whether it drained.
constexpr std::chrono::milliseconds congested_retry{10};
// How long stop() waits for the broker's connection.close-ok.
constexpr std::chrono::seconds close_bound{1};

std::chrono::milliseconds until(clock::time_point deadline, clock::time_point now) {
  if (deadline <= now) return std::chrono::milliseconds{0};
  // Rounded up: waking a little early would only loop.
  return std::chrono::ceil<std::chrono::milliseconds>(std::min(deadline - now, clock::duration{std::chrono::hours{1}}));
}

}  // namespace

struct broker_worker::slot {
  std::shared_ptr<channel_user> user;
  amqp_channel_t number;  // its key in slots_, kept over reconnections
  enum class phase { closed, opening, open, closing } at = phase::closed;
  bool wanted = true;    // open it (again) whenever connected
  bool leaving = false;  // detach() asked: close, then let go
  bool flushed = false;  // detaching() was called
  bool fed = false;      // in fed_: frames came since the last frames_read()
  clock::time_point reopen_at = clock::time_point::min();
};

// What an inline worker (start_inline) has instead of a thread.
struct broker_worker::inline_loop {
  explicit inline_loop(asio::any_io_executor e) : ex{e}, socket{e}, wake_timer{std::make_shared<asio::steady_timer>(e)} {}

  asio::any_io_executor ex;
  // The connection's socket, watched for input; rabbitmq-c owns and closes it.
  asio::posix::stream_descriptor socket;
  // A sleep ends when it is cancelled; shared with the posted wake-ups, which
  // may run after the worker is gone.
  std::shared_ptr<asio::steady_timer> wake_timer;
  std::atomic<bool> pending{false};  // a wake-up is on its way
  asio::thread_pool connector{1};    // the blocking connection attempts
};

// ---- channel_ops ------------------------------------------------------

amqp_connection_state_t channel_ops::native() const noexcept { return worker_.state_; }

bool channel_ops::open() const noexcept {
  const auto it = worker_.slots_.find(number_);
  return it != worker_.slots_.end() && it->second.at == broker_worker::slot::phase::open;
}

void channel_ops::send(amqp_method_number_t method, void* decoded) {
  if (int rc = amqp_send_method(worker_.state_, number_, method, decoded); rc != AMQP_STATUS_OK) {
    worker_.fail("sending a method", rc);
  }
}

void channel_ops::publish(std::string_view exchange, std::string_view routing_key,
                          const publish_properties& properties, std::string_view body, bool mandatory) {
  const int rc = send_publish(worker_.state_, number_, exchange, routing_key, properties, body, mandatory);
  if (rc != AMQP_STATUS_OK) worker_.fail("publishing", rc);
}

void channel_ops::ack(std::uint64_t delivery_tag, bool multiple) {
  if (int rc = amqp_basic_ack(worker_.state_, number_, delivery_tag, multiple); rc != AMQP_STATUS_OK) {
    worker_.fail("acknowledging", rc);
  }
}

void channel_ops::reject(std::uint64_t delivery_tag, bool requeue) {
  if (int rc = amqp_basic_reject(worker_.state_, number_, delivery_tag, requeue); rc != AMQP_STATUS_OK) {
    worker_.fail("rejecting", rc);
  }
}

void channel_ops::close() {
  auto& s = worker_.slots_.at(number_);
  s.wanted = false;
  if (s.at != broker_worker::slot::phase::open) return;
  amqp_channel_close_t m{AMQP_REPLY_SUCCESS, amqp_empty_bytes, 0, 0};
  send(AMQP_CHANNEL_CLOSE_METHOD, &m);
  s.at = broker_worker::slot::phase::closing;
}

std::size_t channel_ops::writable() const noexcept {
  const int fd = amqp_get_sockfd(worker_.state_);
  int queued = 0;
  int size = 0;
  socklen_t length = sizeof size;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &length) != 0) {
    return SIZE_MAX;  // cannot tell: the write will show
  }
  // The kernel counts its own overhead against the buffer too (several
  // times the payload for small segments): keep a wide margin, so that
  // writes within this never wait for the broker.
  const auto limit = static_cast<std::size_t>(std::max(size - 16384, 0)) / 4;
  const auto used = static_cast<std::size_t>(std::max(queued, 0));
  return limit > used ? limit - used : 0;
}

bool channel_ops::takes_frames() const noexcept { return !worker_.settings_.connection.url.tls; }

std::size_t channel_ops::frame_max() const noexcept {
  return static_cast<std::size_t>(std::max(amqp_get_frame_max(worker_.state_), 4096));
}

void channel_ops::write_frames(std::string_view frames) {
  const int fd = amqp_get_sockfd(worker_.state_);
  const auto timeout = static_cast<int>(worker_.settings_.connection.timeout.count());
  while (!frames.empty()) {
    const auto n = ::send(fd, frames.data(), frames.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      frames.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw error{fmt::format("writing to the broker: {}", std::generic_category().message(errno))};
    }
    // rabbitmq-c's socket does not block. Room was asked first, so this
    // waits only when the kernel's accounting differs from the estimate.
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeout) == 0) throw error{"writing to the broker: timed out"};
  }
}

void channel_ops::cork(bool on) noexcept {
  const int value = on ? 1 : 0;
  // Failing only costs segments.
  ::setsockopt(amqp_get_sockfd(worker_.state_), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

void channel_ops::want_write() noexcept { worker_.want_write_ = true; }

// ---- the worker -------------------------------------------------------

broker_worker::broker_worker(worker_settings settings, log::logger logger)
    : settings_{std::move(settings)}, logger_{std::move(logger)} {
  thread_ = std::thread{[this] { run(); }};
}

broker_worker::broker_worker(worker_settings settings, log::logger logger, inline_tag)
    : settings_{std::move(settings)}, logger_{std::move(logger)} {}

std::shared_ptr<broker_worker> broker_worker::start_inline(worker_settings settings, log::logger logger,
                                                           asio::any_io_executor ex) {
  std::shared_ptr<broker_worker> w{new broker_worker{std::move(settings), std::move(logger), inline_tag{}}};
  w->inline_ = std::make_unique<inline_loop>(ex);
  asio::co_spawn(ex, w->run_inline(w), asio::detached);
  return w;
}

broker_worker::~broker_worker() {
  if (inline_) {
    // The coroutine held this worker: it has ended, or the io_context is
    // going and takes it along (then without the polite close), maybe
    // during an attempt, whose connection is let go of once it is made.
    inline_->connector.join();
    if (state_ != nullptr) {
      set_socket(-1);
      amqp_destroy_connection(state_);
    }
    return;
  }
  request_stop();
  {
    std::unique_lock lock{mutex_};
    if (!finished_changed_.wait_for(lock, stop_bound(), [this] { return finished_; }) && socket_fd_ >= 0) {
      ::shutdown(socket_fd_, SHUT_RDWR);
    }
  }
  if (thread_.joinable()) thread_.join();
}

clock::duration broker_worker::stop_bound() const noexcept {
  return settings_.connection.timeout + close_bound + std::chrono::seconds{1};
}

bool broker_worker::finished() noexcept {
  std::lock_guard lock{mutex_};
  return finished_;
}

void broker_worker::cut() noexcept {
  std::lock_guard lock{mutex_};
  // Wakes the thread from any wait on the socket; the fd stays open (and
  // cannot be reused) until the thread destroys the connection.
  if (socket_fd_ >= 0) ::shutdown(socket_fd_, SHUT_RDWR);
}

void broker_worker::set_socket(int fd) noexcept {
  // Before rabbitmq-c closes it: no longer watched (nothing waits on it now).
  if (fd < 0 && inline_ && inline_->socket.is_open()) inline_->socket.release();
  std::lock_guard lock{mutex_};
  socket_fd_ = fd;
}

bool broker_worker::attach(std::shared_ptr<channel_user> user) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || channels_ >= settings_.max_channels) return false;
    ++channels_;
    to_attach_.push_back(std::move(user));
  }
  wake();
  return true;
}

void broker_worker::detach(const std::shared_ptr<channel_user>& user) {
  {
    std::lock_guard lock{mutex_};
    if (finished_) return;  // every user was detached already
    to_detach_.push_back(user);
  }
  wake();
}

void broker_worker::notify(channel_user* user) {
  bool first = false;
  {
    std::lock_guard lock{mutex_};
    first = to_wake_.empty();
    to_wake_.push_back(user);
  }
  if (first) wake();
}

void broker_worker::request_stop() noexcept {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  stop_requested_ = true;
  wake();
}

void broker_worker::wake() noexcept {
  if (!inline_) return wake_.notify();
  if (inline_->pending.exchange(true)) return;  // one is on its way
  asio::post(inline_->ex, [timer = inline_->wake_timer] { timer->cancel(); });
}

asio::awaitable<void> broker_worker::stop() {
  // Expires at the bound, or is cancelled (on this executor, so the check
  // of finished() before each wait cannot miss it) when the thread is done.
  auto done = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, stop_bound());
  {
    std::lock_guard lock{mutex_};
    if (!finished_) {
      on_finished_.push_back([done] { asio::post(done->get_executor(), [done] { done->cancel(); }); });
    }
  }
  request_stop();
  if (!finished()) co_await done->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (!finished()) {
    logger_.warning("The RabbitMQ connection to {} does not close: shutting its socket down.",
                    settings_.connection.url.masked());
    cut();
    while (!finished()) {
      done->expires_at(asio::steady_timer::time_point::max());
      co_await done->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
  }
  // The thread has nothing left to do but return.
  if (thread_.joinable()) thread_.join();
}

void broker_worker::fail(std::string_view what, int status) {
  throw error{fmt::format("{}: {}", what, amqp_error_string2(status))};
}

void broker_worker::run() noexcept {
  const auto url = settings_.connection.url.masked();
  backoff delays{settings_.min_backoff, settings_.max_backoff};
  while (!stop_requested_) {
    std::string why;
    try {
      // Commands that came meanwhile wait for the attempt's outcome.
      logger_.info("Connecting to {}.", url);
      connect();
      delays.reset();
      serve();
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (stop_requested_) break;
    const auto retry_at = lost(why, delays);
    while (awaiting_retry(retry_at)) wait_idle(retry_at);
  }
  close_politely();
  finish();
}

clock::time_point broker_worker::lost(const std::string& why, backoff& delays) noexcept {
  logger_.error("RabbitMQ connection error: {}", why);
  lose_connection(why);
  return clock::now() + delays.next();
}

bool broker_worker::awaiting_retry(clock::time_point retry_at) {
  if (stop_requested_ || clock::now() >= retry_at) return false;
  take_commands();
  return true;
}

asio::awaitable<void> broker_worker::run_inline([[maybe_unused]] std::shared_ptr<broker_worker> self) {
  const auto url = settings_.connection.url.masked();
  backoff delays{settings_.min_backoff, settings_.max_backoff};
  while (!stop_requested_) {
    std::string why;
    try {
      logger_.info("Connecting to {}.", url);
      co_await connect_aside();
      delays.reset();
      inline_->socket.assign(amqp_get_sockfd(state_));
      open_wanted();
      while (!stop_requested_) {
        if (!serve_round()) continue;
        const bool input = co_await wait_inline(next_deadline());  // not in the condition (GCC 12)
        if (input) last_input_ = clock::now();
      }
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (stop_requested_) break;
    const auto retry_at = lost(why, delays);
    while (awaiting_retry(retry_at)) co_await wait_inline(retry_at);
  }
  co_await close_inline();
  finish();
}

// The attempt blocks (name resolution, TCP, TLS, the AMQP handshake): it
// runs on the helper thread while the io_context goes on. The coroutine
// waits on a timer of the io_context, which the attempt's end cancels, so
// that an io_context destroyed meanwhile takes the waiting coroutine along:
// the worker then joins the helper thread, whose last post finds the
// io_context still there. (Had the helper thread held the coroutine, the
// attempt's end would resume it on a destroyed io_context.)
asio::awaitable<void> broker_worker::connect_aside() {
  struct attempt {
    explicit attempt(asio::any_io_executor ex) : done{std::move(ex), asio::steady_timer::time_point::max()} {}
    asio::steady_timer done;
    std::exception_ptr failure;  // written before `done` is cancelled
  };
  auto a = std::make_shared<attempt>(inline_->ex);
  auto run = [this, a] {
    try {
      connect();
    } catch (...) {
      a->failure = std::current_exception();
    }
    asio::post(a->done.get_executor(), [a] { a->done.cancel(); });
  };
  asio::post(inline_->connector, std::move(run));
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  co_await a->done.async_wait(token);
  if (a->failure) std::rethrow_exception(a->failure);
}

asio::awaitable<bool> broker_worker::wait_inline(clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto& loop = *inline_;
  if (loop.pending.exchange(false)) co_return false;
  auto& timer = *loop.wake_timer;
  timer.expires_at(deadline);
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  if (!loop.socket.is_open()) {
    co_await timer.async_wait(token);
    loop.pending = false;
    co_return false;
  }
  auto woken = co_await (loop.socket.async_wait(asio::posix::descriptor_base::wait_read, token) ||
                         timer.async_wait(token));
  loop.pending = false;  // what wake() said during the sleep is what woke it
  co_return woken.index() == 0 && !std::get<0>(std::get<0>(woken));
}

asio::awaitable<void> broker_worker::close_inline() {
  if (begin_close()) {
    const auto deadline = clock::now() + close_bound;
    for (bool closed = false; !closed && clock::now() < deadline;) {
      const auto read = read_close();
      if (read) closed = *read;
      else co_await wait_inline(deadline);
    }
  }
  end_close();
}

void broker_worker::connect() {
  state_ = open_connection(settings_.connection);
  const int fd = amqp_get_sockfd(state_);
  // A link that stops acknowledging our data ends within two heartbeats
  // rather than the kernel's quarter of an hour.
  const unsigned user_timeout = 2000U * static_cast<unsigned>(std::max(1, amqp_get_heartbeat(state_)));
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
  set_socket(fd);
  connected_ = true;
  last_input_ = clock::now();
  logger_.info("Connected to {} with {} channels.", settings_.connection.url.masked(), slots_.size());
}

void broker_worker::open(slot& s) {
  amqp_channel_open_t m{amqp_empty_bytes};
  if (int rc = amqp_send_method(state_, s.number, AMQP_CHANNEL_OPEN_METHOD, &m); rc != AMQP_STATUS_OK) {
    fail("opening a channel", rc);
  }
  s.at = slot::phase::opening;
}

void broker_worker::take_commands() {
  std::vector<std::shared_ptr<channel_user>> attach, detach;
  std::vector<channel_user*> wake;
  {
    std::lock_guard lock{mutex_};
    attach.swap(to_attach_);
    detach.swap(to_detach_);
    wake.swap(to_wake_);
  }
  for (auto& user : attach) {
    amqp_channel_t number = 1;
    for (const auto& [n, s] : slots_) {
      if (n != number) break;
      ++number;
    }
    auto& s = slots_.emplace(number, slot{std::move(user), number}).first->second;
    if (state_ != nullptr) open(s);
  }
  for (const auto& user : detach) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](auto& e) { return e.second.user == user; });
    if (it == slots_.end() || it->second.leaving) continue;
    auto& s = it->second;
    s.leaving = true;
    if (s.at == slot::phase::open) {
      channel_ops ops{*this, it->first};
      s.flushed = true;
      s.user->detaching(&ops);
      amqp_channel_close_t m{AMQP_REPLY_SUCCESS, amqp_empty_bytes, 0, 0};
      ops.send(AMQP_CHANNEL_CLOSE_METHOD, &m);
      s.at = slot::phase::closing;
    } else if (s.at == slot::phase::closed) {
      release(it->first);
    }  // opening: closed once open; closing: let go on close-ok
  }
  for (auto* user : wake) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](auto& e) { return e.second.user.get() == user; });
    if (it == slots_.end() || it->second.leaving) continue;
    channel_ops ops{*this, it->first};
    it->second.user->woken(state_ != nullptr ? &ops : nullptr);
  }
}

void broker_worker::release(amqp_channel_t number) {
  auto node = slots_.extract(number);
  auto& s = node.mapped();
  if (!s.flushed) s.user->detaching(nullptr);
  --channels_;
  s.user->detached();
}

clock::time_point broker_worker::next_deadline() const {
  const int heartbeat = std::max(1, amqp_get_heartbeat(state_));
  auto next = clock::now() + std::chrono::milliseconds{heartbeat * 500};
  if (want_write_) next = std::min(next, clock::now() + congested_retry);
  for (const auto& [n, s] : slots_) {
    if (s.at == slot::phase::open) next = std::min(next, s.user->deadline());
    if (s.at == slot::phase::closed && s.wanted && !s.leaving) next = std::min(next, s.reopen_at);
  }
  return next;
}

void broker_worker::open_wanted() {
  for (auto& [n, s] : slots_) {
    if (s.wanted && !s.leaving) open(s);
  }
}

void broker_worker::serve() {
  open_wanted();
  while (!stop_requested_) {
    if (serve_round() && wait_socket(next_deadline())) last_input_ = clock::now();
  }
}

bool broker_worker::serve_round() {
  const auto heartbeat = std::chrono::seconds{std::max(1, amqp_get_heartbeat(state_))};
  take_commands();
  auto now = clock::now();
  const bool drained = std::exchange(want_write_, false);
  for (auto& [n, s] : slots_) {
    if (s.at == slot::phase::closed && s.wanted && !s.leaving && s.reopen_at <= now) open(s);
    if (s.at == slot::phase::open && !s.leaving && (drained || s.user->deadline() <= now)) {
      channel_ops ops{*this, n};
      s.user->woken(&ops);
    }
  }
  for (;;) {
    amqp_frame_t f;
    timeval zero{0, 0};
    const int rc = amqp_simple_wait_frame_noblock(state_, &f, &zero);  // also sends heartbeats when due
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) fail("reading from the broker", rc);
    last_input_ = clock::now();
    dispatch(f);
    // Everything read is handled: poll(2) says whether more came (one
    // read that would find nothing fewer per round).
    if (amqp_frames_enqueued(state_) == 0 && amqp_data_in_buffer(state_) == 0) break;
  }
  frames_read();
  now = clock::now();
  // rabbitmq-c notices missing heartbeats only inside blocking reads.
  if (now - last_input_ > 2 * heartbeat + std::chrono::seconds{1}) {
    throw error{fmt::format("no heartbeat from the broker in {} s", (2 * heartbeat).count())};
  }
  return amqp_frames_enqueued(state_) == 0 && amqp_data_in_buffer(state_) == 0;
}

void broker_worker::dispatch(const amqp_frame_t& f) {
  if (f.channel == 0) {
    on_connection_frame(f);
    amqp_maybe_release_buffers_on_channel(state_, 0);
    return;
  }
  const auto it = slots_.find(f.channel);
  if (it != slots_.end()) {
    auto& s = it->second;
    channel_ops ops{*this, it->first};
    const auto method = f.frame_type == AMQP_FRAME_METHOD ? f.payload.method.id : 0;
    if (method == AMQP_CHANNEL_OPEN_OK_METHOD) {
      s.at = slot::phase::open;
      if (s.leaving) {
        s.flushed = true;
        s.user->detaching(&ops);
        amqp_channel_close_t m{AMQP_REPLY_SUCCESS, amqp_empty_bytes, 0, 0};
        ops.send(AMQP_CHANNEL_CLOSE_METHOD, &m);
        s.at = slot::phase::closing;
      } else {
        s.user->opened(ops);
      }
    } else if (method == AMQP_CHANNEL_CLOSE_METHOD) {
      const auto* m = static_cast<const amqp_channel_close_t*>(f.payload.method.decoded);
      const auto code = m->reply_code;
      const auto reason = text(m->reply_text);
      amqp_channel_close_ok_t ok{};
      ops.send(AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      s.at = slot::phase::closed;
      if (s.leaving) {
        release(it->first);
      } else if (auto delay = s.user->closed(code, reason)) {
        s.reopen_at = clock::now() + *delay;
      } else {
        s.wanted = false;
      }
    } else if (method == AMQP_CHANNEL_CLOSE_OK_METHOD) {
      // Only ours: a close that crossed the broker's was answered already,
      // and its number may serve a new channel by now.
      if (s.at == slot::phase::closing) {
        s.at = slot::phase::closed;
        if (s.leaving) release(it->first);
      }
    } else if (s.at == slot::phase::open && !s.leaving) {
      s.user->frame(ops, f);
      if (!std::exchange(s.fed, true)) fed_.push_back(it->first);
    }
  }
  amqp_maybe_release_buffers_on_channel(state_, f.channel);
}

void broker_worker::frames_read() {
  for (const auto number : fed_) {
    const auto it = slots_.find(number);
    if (it == slots_.end() || !std::exchange(it->second.fed, false)) continue;
    auto& s = it->second;
    if (s.at != slot::phase::open || s.leaving) continue;  // closed meanwhile: its user dropped what it had
    channel_ops ops{*this, number};
    s.user->frames_read(ops);
  }
  fed_.clear();
}

void broker_worker::on_connection_frame(const amqp_frame_t& f) {
  if (f.frame_type != AMQP_FRAME_METHOD) return;
  switch (f.payload.method.id) {
    case AMQP_CONNECTION_CLOSE_METHOD: {
      const auto* m = static_cast<const amqp_connection_close_t*>(f.payload.method.decoded);
      auto why = fmt::format("the broker closed the connection: {} {}", m->reply_code, text(m->reply_text));
      amqp_connection_close_ok_t ok{};
      amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      throw error{why};
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
    case AMQP_CONNECTION_UNBLOCKED_METHOD: {
      const bool blocked = f.payload.method.id == AMQP_CONNECTION_BLOCKED_METHOD;
      for (auto& [n, s] : slots_) s.user->blocked(blocked);
      break;
    }
    default:
      break;
  }
}

void broker_worker::lose_connection(std::string_view why) noexcept {
  connected_ = false;
  want_write_ = false;
  if (state_ != nullptr) {
    set_socket(-1);
    amqp_destroy_connection(state_);  // no polite close: the connection is gone
    state_ = nullptr;
  }
  std::vector<amqp_channel_t> leaving;
  for (auto& [n, s] : slots_) {
    if (s.leaving) {
      leaving.push_back(n);
      continue;
    }
    s.at = slot::phase::closed;
    s.reopen_at = clock::time_point::min();
    s.user->disconnected(why);
  }
  for (auto n : leaving) release(n);
}

void broker_worker::close_politely() noexcept {
  if (begin_close()) {
    const auto deadline = clock::now() + close_bound;
    for (bool closed = false; !closed && clock::now() < deadline;) {
      const auto read = read_close();
      if (read) closed = *read;
      else wait_socket(deadline);
    }
  }
  end_close();
}

bool broker_worker::begin_close() noexcept {
  if (state_ == nullptr) return false;
  try {
    for (auto& [n, s] : slots_) {
      if (s.at != slot::phase::open || s.flushed) continue;
      channel_ops ops{*this, n};
      s.flushed = true;
      s.user->detaching(&ops);
    }
    amqp_connection_close_t m{AMQP_REPLY_SUCCESS, amqp_empty_bytes, 0, 0};
    if (int rc = amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_METHOD, &m); rc != AMQP_STATUS_OK) {
      fail("closing", rc);
    }
    return true;
  } catch (const std::exception& e) {
    logger_.warning("Closing the RabbitMQ connection: {}", e.what());
    return false;
  }
}

std::optional<bool> broker_worker::read_close() noexcept {
  amqp_frame_t f;
  timeval zero{0, 0};
  const int rc = amqp_simple_wait_frame_noblock(state_, &f, &zero);
  if (rc == AMQP_STATUS_TIMEOUT) return std::nullopt;
  if (rc != AMQP_STATUS_OK) return true;
  const bool closed = f.channel == 0 && f.frame_type == AMQP_FRAME_METHOD &&
                      (f.payload.method.id == AMQP_CONNECTION_CLOSE_OK_METHOD ||
                       f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD);
  amqp_maybe_release_buffers_on_channel(state_, f.channel);
  return closed;
}

void broker_worker::end_close() noexcept {
  if (state_ != nullptr) {
    set_socket(-1);
    amqp_destroy_connection(state_);
    state_ = nullptr;
    connected_ = false;
    logger_.info("Disconnected from {}.", settings_.connection.url.masked());
  }
  while (!slots_.empty()) release(slots_.begin()->first);
}

bool broker_worker::wait_socket(clock::time_point deadline) noexcept {
  const int fd = state_ != nullptr ? amqp_get_sockfd(state_) : -1;
  return wake_.wait(fd, until(deadline, clock::now()));
}

void broker_worker::wait_idle(clock::time_point deadline) noexcept { wake_.wait(-1, until(deadline, clock::now())); }

void broker_worker::finish() noexcept {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock{mutex_};
    finished_ = true;
    finished_changed_.notify_all();
    callbacks.swap(on_finished_);
    // Attached too late for a channel: let go of them now. (Every user that
    // had a channel was let go of by close_politely.)
    for (auto& user : to_attach_) {
      --channels_;
      user->detached();
    }
    to_attach_.clear();
    to_detach_.clear();
  }
  for (auto& c : callbacks) c();
}

}  // namespace swpt::amqp

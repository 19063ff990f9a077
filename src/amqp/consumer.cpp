#include "amqp/consumer.hpp"

#include "amqp/content_reader.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

namespace swpt::amqp {
namespace {

// RabbitMQ's answer to basic.consume on a queue another connection
// consumes exclusively: 403 ACCESS_REFUSED "... in exclusive use".
bool held_elsewhere(std::uint16_t code, std::string_view text) {
  return code == AMQP_ACCESS_REFUSED && text.find("exclusive") != std::string_view::npos;
}

}  // namespace

// The state shared by the consumer (sessions' executor) and its channel on
// the worker thread. The consumer may go first: the worker keeps this alive
// until detached().
struct consumer::channel final : channel_user {
  channel(asio::any_io_executor ex, consumer_settings s, prepare_function p, log::logger l)
      : settings{std::move(s)},
        prepare{std::move(p)},
        logger{l.with("queue", settings.queue)},  // every line names the queue
        ready_changed{std::move(ex), 1} {}

  const consumer_settings settings;
  const prepare_function prepare;
  const log::logger logger;
  // A doorbell: rung (from any thread) when a batch was queued or something
  // ended, and next() waits for it. One ring is kept while nobody waits, so
  // none slips between next()'s look at the queue and its wait; a stale
  // one only makes next() look again. Rung and answered in one hand-off.
  asio::experimental::concurrent_channel<void(asio::error_code, bool)> ready_changed;

  mutable std::mutex mutex;
  // The messages for the session, a whole batch queued under one lock. At
  // most `prefetch`: the broker delivers no more unacknowledged, and a lost
  // channel's are dropped.
  std::deque<session::outgoing_message> ready;  // guarded by mutex
  bool waiting = false;                // guarded: next() waits for the doorbell
  consumer_status current;             // guarded by mutex
  bool interrupted = false;            // guarded: next() throws once
  bool stale = false;                  // guarded: receipts of a lost channel are ignored
  bool finished = false;               // guarded
  bool gone = false;                   // guarded: detached()
  std::uint64_t handed_out = 0;        // guarded: the highest tag queued for the session
  std::uint64_t ack_up_to = 0;         // guarded: what the peer confirmed
  std::vector<std::shared_ptr<asio::steady_timer>> stop_waiters;  // guarded

  // Worker thread only.
  std::uint64_t acked = 0;         // what the broker was told on this channel
  std::uint64_t not_handed = 0;    // the first tag that could not be queued (0: none)
  // Read and prepared, queued at frames_read(); at most `prefetch`.
  std::vector<std::pair<std::uint64_t, session::outgoing_message>> prepared;
  content_reader reader;
  std::minstd_rand random{std::random_device{}()};

  void opened(channel_ops& ch) override {
    acked = 0;
    not_handed = 0;
    prepared.clear();
    reader.reset();
    if (status_is(consumer_state::failed)) {
      ch.close();  // reopened by a reconnection, but done for good
      return;
    }
    amqp_basic_qos_t qos{0, settings.prefetch, 0};
    ch.send(AMQP_BASIC_QOS_METHOD, &qos);
    amqp_basic_consume_t consume{0, bytes(settings.queue), amqp_empty_bytes, 0, 0, settings.exclusive ? 1 : 0, 0,
                                 amqp_empty_table};
    ch.send(AMQP_BASIC_CONSUME_METHOD, &consume);
  }

  void frame(channel_ops& ch, const amqp_frame_t& f) override {
    if (f.frame_type != AMQP_FRAME_METHOD) {
      if (auto delivery = reader.add(f)) handle(ch, std::move(*delivery));
      return;
    }
    switch (f.payload.method.id) {
      case AMQP_BASIC_DELIVER_METHOD:
        reader.start(f);
        break;
      case AMQP_BASIC_CONSUME_OK_METHOD:
        set(consumer_state::consuming, {});
        logger.info("Started consuming from {}.", settings.queue);
        break;
      case AMQP_BASIC_CANCEL_METHOD:
        fail(fmt::format("the broker cancelled the consumer of queue {} (was it deleted?)", settings.queue));
        ch.close();
        break;
      default:
        break;
    }
  }

  void handle(channel_ops& ch, content delivery) {
    const auto tag = delivery.delivery_tag;
    auto body = prepare(delivery);
    if (!body) {
      // Rejected without requeue: the queue's dead-letter exchange moves it
      // to <queue>.XQ, where an operator can look at it.
      logger.error("Message {} in queue {} cannot be sent and goes to {}.XQ: {}", tag, settings.queue,
                   settings.queue, body.error());
      ch.reject(tag, /*requeue=*/false);
      return;
    }
    prepared.emplace_back(
        tag, session::outgoing_message{std::to_string(tag), delivery.type.value_or(""), std::move(*body)});
  }

  // Queues what was read for the session under one lock, and wakes it
  // once if it waits: one hand-off per batch, not per message.
  void frames_read(channel_ops&) override {
    if (prepared.empty()) return;
    bool wake = false;
    {
      std::lock_guard lock{mutex};
      handed_out = std::max(handed_out, prepared.back().first);
      if (finished) {
        // No cumulative acknowledgement may cover these: the broker
        // redelivers them once the channel closes. (Requeueing them now
        // would only bring them straight back.)
        if (not_handed == 0) not_handed = prepared.front().first;
      } else {
        for (auto& [tag, m] : prepared) ready.push_back(std::move(m));
        wake = std::exchange(waiting, false);
      }
    }
    prepared.clear();
    if (wake) wake_next();
  }

  // From any thread: a waiting next() looks again.
  void wake_next() {
    ready_changed.try_send(asio::error_code{}, true);  // false: a ring is pending already
  }

  std::optional<std::chrono::milliseconds> closed(std::uint16_t code, std::string_view text) override {
    reader.reset();
    prepared.clear();
    interrupt();
    if (held_elsewhere(code, text)) {
      if (set(consumer_state::standby, std::string{text})) {
        logger.info("Queue {} is consumed exclusively elsewhere: standing by.", settings.queue);
      }
      const std::int64_t retry = settings.standby_retry.count();
      return std::chrono::milliseconds{retry / 2 + std::uniform_int_distribution<std::int64_t>{0, retry}(random)};
    }
    fail(fmt::format("consuming from {}: {} {}", settings.queue, code, text));
    return std::nullopt;
  }

  void disconnected(std::string_view why) override {
    reader.reset();
    prepared.clear();
    if (settings.fail_on_disconnect && !status_is(consumer_state::failed)) {
      fail(std::string{why});
      return;
    }
    interrupt();
    std::lock_guard lock{mutex};
    if (current.state == consumer_state::failed || current.state == consumer_state::stopped) return;
    current = {consumer_state::starting, std::string{why}};
  }

  void woken(channel_ops* ch) override {
    if (ch != nullptr && ch->open()) flush_acks(*ch);
  }

  void detaching(channel_ops* ch) override {
    if (ch != nullptr) flush_acks(*ch);
  }

  void detached() override {
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    {
      std::lock_guard lock{mutex};
      gone = true;
      if (current.state != consumer_state::failed) current = {consumer_state::stopped, {}};
      waiters.swap(stop_waiters);
    }
    wake_next();
    for (auto& w : waiters) asio::post(w->get_executor(), [w] { w->cancel(); });
  }

  void flush_acks(channel_ops& ch) {
    std::uint64_t up_to = 0;
    {
      std::lock_guard lock{mutex};
      if (!stale) up_to = ack_up_to;
    }
    if (not_handed != 0) up_to = std::min(up_to, not_handed - 1);
    if (up_to > acked) {
      ch.ack(up_to, /*multiple=*/true);
      acked = up_to;
    }
  }

  // The channel is gone and the broker requeues what it had delivered: the
  // tags mean nothing any more. The session learns it from next().
  void interrupt() {
    acked = 0;
    not_handed = 0;
    prepared.clear();
    bool had_any = false;
    {
      std::lock_guard lock{mutex};
      had_any = handed_out > 0 || current.state == consumer_state::consuming;
      if (had_any) {
        interrupted = true;
        stale = true;
        handed_out = ack_up_to = 0;
        ready.clear();
      }
    }
    if (had_any) wake_next();  // a waiting next() then throws
  }

  bool status_is(consumer_state state) const {
    std::lock_guard lock{mutex};
    return current.state == state;
  }

  // Returns whether the state changed.
  bool set(consumer_state state, std::string reason) {
    std::lock_guard lock{mutex};
    if (current.state == consumer_state::failed || current.state == consumer_state::stopped) return false;
    const bool changed = current.state != state;
    current = {state, std::move(reason)};
    return changed;
  }

  void fail(std::string reason) {
    logger.error("RabbitMQ consumer error: {}", reason);
    {
      std::lock_guard lock{mutex};
      current = {consumer_state::failed, std::move(reason)};
    }
    wake_next();
  }
};

std::uint16_t prefetch_count(std::size_t buffer) noexcept {
  return static_cast<std::uint16_t>(std::clamp<std::size_t>(buffer, 1, std::numeric_limits<std::uint16_t>::max()));
}

prepare_function prepare_for(peer_context peering) {
  return [peering = std::move(peering)](const content& delivery) -> result<std::string> {
    // The node applications always set both; without them there is nothing
    // to check the body against.
    if (!delivery.content_type) return failure{"the message has no content type"};
    if (!delivery.type) return failure{"the message has no type"};
    return process_outgoing(peering, *delivery.content_type, *delivery.type, delivery.body);
  };
}

consumer::consumer(consumer_pool& pool, asio::any_io_executor ex, consumer_settings settings,
                   prepare_function prepare, log::logger logger)
    : channel_{std::make_shared<channel>(std::move(ex), std::move(settings), std::move(prepare), std::move(logger))} {
  worker_ = pool.attach(channel_);
}

consumer::~consumer() {
  if (worker_) worker_->detach(channel_);
}

asio::awaitable<std::optional<session::outgoing_message>> consumer::next() {
  const auto c = channel_;  // the consumer may go while this waits
  for (;;) {
    {
      std::lock_guard lock{c->mutex};
      if (c->interrupted) {
        c->interrupted = false;
        c->stale = false;
        throw error{fmt::format("the channel consuming {} was lost; what was not acknowledged returns to the queue",
                                c->settings.queue)};
      }
      if (c->current.state == consumer_state::failed) throw error{c->current.reason};
      if (c->finished) co_return std::nullopt;
      // Its channel is closed: the broker requeues what is still here.
      if (c->gone) throw error{fmt::format("the consumer of {} was stopped", c->settings.queue)};
      if (!c->ready.empty()) {
        auto m = std::move(c->ready.front());
        c->ready.pop_front();
        co_return std::move(m);
      }
      c->waiting = true;
    }
    // Woken by the doorbell or by our own cancellation; the state is looked
    // at again, unless this wait was cancelled.
    co_await c->ready_changed.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
    const auto state = co_await asio::this_coro::cancellation_state;  // not in the condition (GCC 12)
    if (state.cancelled() != asio::cancellation_type::none) {
      std::lock_guard lock{c->mutex};
      c->waiting = false;
      throw std::system_error{asio::error::operation_aborted, "waiting for a message"};
    }
  }
}

std::optional<session::outgoing_message> consumer::try_next() {
  std::optional<session::outgoing_message> taken;
  std::lock_guard lock{channel_->mutex};
  const auto& c = *channel_;
  if (c.finished || c.interrupted || c.gone || c.current.state == consumer_state::failed || c.ready.empty()) {
    return taken;  // next() says why
  }
  taken = std::move(channel_->ready.front());
  channel_->ready.pop_front();
  return taken;
}

void consumer::confirm(std::string_view id) {
  std::uint64_t tag = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), tag);
  {
    std::lock_guard lock{channel_->mutex};
    if (channel_->stale) return;  // a receipt for a lost channel's delivery
    if (ec != std::errc{} || end != id.data() + id.size() || tag == 0 || tag > channel_->handed_out) {
      channel_->logger.warning("Invalid receipt-id: {}", id);
      return;
    }
    channel_->ack_up_to = std::max(channel_->ack_up_to, tag);
  }
  worker_->notify(channel_.get());
}

void consumer::finish() {
  {
    std::lock_guard lock{channel_->mutex};
    channel_->finished = true;
  }
  channel_->wake_next();
}

asio::awaitable<void> consumer::stop() {
  auto done = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  bool wait = false;
  {
    std::lock_guard lock{channel_->mutex};
    if (!channel_->gone) {
      wait = true;
      channel_->stop_waiters.push_back(done);
    }
  }
  worker_->detach(channel_);
  if (wait) co_await done->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

consumer_status consumer::status() const {
  std::lock_guard lock{channel_->mutex};
  return channel_->current;
}

}  // namespace swpt::amqp

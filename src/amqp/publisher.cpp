#include "amqp/publisher.hpp"

#include "amqp/content_reader.hpp"
#include "amqp/errc.hpp"
#include "core/smp/message_type.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace swpt::amqp {
namespace {

using confirm_handler = session::message_sink::confirm_handler;

struct job {
  publication message;
  confirm_handler confirmed;
};

// A published message waiting for its confirmation.
struct pending {
  publication message;
  confirm_handler confirmed;
  clock::time_point deadline;
  bool returned = false;  // basic.return came first: its ack means "dropped"
};

// The encoding buffer is kept between batches up to this size.
constexpr std::size_t frames_kept = 256 * 1024;

// About what basic.publish writes for `m`: the body, the names, the
// headers and the frames' own bytes.
std::size_t wire_size(const publication& m) {
  std::size_t size = 512 + m.body.size() + m.exchange.size() + m.routing_key.size();
  for (const auto& [key, value] : m.headers) size += key.size() + 32;
  return size;
}

}  // namespace

// The state shared by the publisher, the submissions (which may outlive
// it) and the worker thread (which calls the channel_user side).
struct publisher::impl final : channel_user {
  impl(asio::any_io_executor ex, publisher_settings s, log::logger l)
      : settings{std::move(s)},
        logger{std::move(l)},
        capacity{std::max<std::size_t>(settings.capacity, 1)},
        space{std::make_shared<asio::steady_timer>(std::move(ex), asio::steady_timer::time_point::max())} {}

  const publisher_settings settings;
  const log::logger logger;

  // The logger for a line about one message: it names the message's peer,
  // which a publisher shared by every session of a server cannot name itself.
  log::logger about(const publication& m) const { return m.peer.empty() ? logger : logger.with("peer", m.peer); }

  // The bounded queue from the sessions to the worker. A submit() that finds
  // it full waits on `space`, which the worker cancels (on the sessions'
  // executor, so no wakeup slips between a check and a wait) after taking
  // from a full queue, and at the end.
  std::mutex mutex;
  std::deque<job> queued;  // guarded by mutex
  bool full = false;       // guarded by mutex: someone may wait for space
  bool refusing = false;   // guarded by mutex: the final drain is done, nothing is accepted
  const std::size_t capacity;
  std::shared_ptr<asio::steady_timer> space;  // sessions' executor only; never expires
  std::weak_ptr<broker_worker> worker;        // gone with the publisher
  std::atomic<bool> connected{false};

  // Worker thread only.
  bool open = false;     // confirm.select-ok came
  bool alarm = false;    // connection.blocked: the broker stopped reading publishes
  std::uint64_t last_sequence = 0;               // publisher confirms number a channel's publishes from 1
  std::map<std::uint64_t, pending> unconfirmed;  // by publish sequence number
  content_reader returned;
  std::string frames;  // a batch of publishes, encoded
  // Bytes that surely fit in the socket's send buffer: measured (two
  // system calls) only when a batch would not fit, counted down by what is
  // written. The kernel only ever frees more meanwhile.
  std::size_t room = 0;

  enum class put { queued, queued_first, full, closed };

  // Session side: queues `j` unless the queue is full or closed. The worker
  // takes everything queued whenever it wakes, so only the first job of a
  // batch needs to wake it.
  put try_put(job& j) {
    std::lock_guard lock{mutex};
    if (refusing) return put::closed;
    if (queued.size() >= capacity) {
      full = true;
      return put::full;
    }
    queued.push_back(std::move(j));
    return queued.size() == 1 ? put::queued_first : put::queued;
  }

  // Worker side: the queued jobs, oldest first, as long as each `fits`.
  // One lock for a whole batch.
  template <class Fits>
  std::vector<job> take(Fits fits) {
    std::vector<job> taken;
    std::unique_lock lock{mutex};
    while (!queued.empty() && fits(queued.front().message)) {
      taken.push_back(std::move(queued.front()));
      queued.pop_front();
    }
    if (!taken.empty() && std::exchange(full, false)) {
      lock.unlock();
      asio::post(space->get_executor(), [space = space] { space->cancel(); });
    }
    return taken;
  }
  void fail_queued(std::error_code ec) {
    for (auto& j : take([](const publication&) { return true; })) j.confirmed(ec);
  }

  // ---- channel_user: the worker thread ----

  void opened(channel_ops& ch) override {
    last_sequence = 0;
    room = 0;
    amqp_confirm_select_t select{0};
    ch.send(AMQP_CONFIRM_SELECT_METHOD, &select);
  }

  void frame(channel_ops& ch, const amqp_frame_t& f) override {
    if (f.frame_type != AMQP_FRAME_METHOD) {
      if (auto r = returned.add(f)) on_return(*r);
      return;
    }
    const auto& method = f.payload.method;
    switch (method.id) {
      case AMQP_CONFIRM_SELECT_OK_METHOD:
        open = true;
        connected = true;
        publish_queued(ch);
        break;
      case AMQP_BASIC_ACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_ack_t*>(method.decoded);
        confirm_up_to(m->delivery_tag, m->multiple != 0, {});
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_nack_t*>(method.decoded);
        confirm_up_to(m->delivery_tag, m->multiple != 0, errc::nacked);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
        returned.start(f);
        break;
      default:
        break;
    }
  }

  std::optional<std::chrono::milliseconds> closed(std::uint16_t code, std::string_view text) override {
    logger.error("RabbitMQ closed the publishing channel: {} {}", code, text);
    lose(errc::connection_lost);
    return settings.min_backoff;
  }

  void disconnected(std::string_view) override {
    lose(errc::connection_lost);
    fail_queued(errc::not_connected);
  }

  void blocked(bool now_blocked) override {
    if (now_blocked && !alarm) {
      logger.warning("RabbitMQ blocks publishing (a resource alarm): messages fail until it ends.");
    } else if (!now_blocked && alarm) {
      logger.info("RabbitMQ accepts messages again.");
    }
    alarm = now_blocked;
  }

  void woken(channel_ops* ch) override {
    expire(clock::now());
    if (ch == nullptr) {
      fail_queued(errc::not_connected);
    } else if (!ch->open() || !open) {
      // Connected, the channel is on its way: confirm.select-ok publishes.
    } else if (alarm) {
      // A publish now could only wait for the alarm to end.
      fail_queued(errc::blocked);
    } else {
      publish_queued(*ch);
    }
  }

  clock::time_point deadline() const override {
    // Deadlines grow with the sequence numbers.
    return unconfirmed.empty() ? clock::time_point::max() : unconfirmed.begin()->second.deadline;
  }

  void detaching(channel_ops*) override { close_for_good(); }
  void detached() override { close_for_good(); }

  void publish_queued(channel_ops& ch) {
    // What the socket takes, counted down; measured again only when the
    // count runs out, so rarely more than once per few hundred messages.
    bool measured = false;
    bool congested = false;
    auto batch = take([&](const publication& m) {
      const auto size = wire_size(m);
      if (size > room && !measured) {
        room = ch.writable();
        measured = true;
      }
      if (size > room) return !(congested = true);
      room -= size;
      return true;
    });
    // All registered before any is written: if a write fails, the lost
    // connection fails them like every other unconfirmed message.
    std::vector<const pending*> to_write;
    to_write.reserve(batch.size());
    const auto deadline = clock::now() + settings.confirmation_timeout;
    for (auto& j : batch) {
      to_write.push_back(&unconfirmed.emplace(++last_sequence,
                                              pending{std::move(j.message), std::move(j.confirmed), deadline})
                              .first->second);
    }
    if (ch.takes_frames()) {
      // One write, so one system call and a few TCP segments, per batch.
      frames.clear();
      for (const auto* p : to_write) {
        encode_publish(frames, ch.number(), ch.frame_max(), p->message.exchange, p->message.routing_key,
                       properties(*p), p->message.body, /*mandatory=*/true);
      }
      ch.write_frames(frames);
      if (frames.capacity() > frames_kept) std::string{}.swap(frames);
    } else {
      // Through rabbitmq-c, three writes a message: corked, the batch
      // still leaves in a few segments.
      const bool corked = to_write.size() > 1;
      if (corked) ch.cork(true);
      for (const auto* p : to_write) {
        ch.publish(p->message.exchange, p->message.routing_key, properties(*p), p->message.body,
                   /*mandatory=*/true);
      }
      if (corked) ch.cork(false);
    }
    if (congested) ch.want_write();
  }

  static publish_properties properties(const pending& p) {
    return {json_content_type, smp::type_name(p.message.type), &p.message.headers};
  }

  void confirm_up_to(std::uint64_t sequence, bool multiple, std::error_code ec);
  void on_return(const content& r);
  void expire(clock::time_point now);

  void lose(std::error_code ec) {
    connected = false;
    open = false;
    alarm = false;
    returned.reset();
    for (auto& [sequence, p] : unconfirmed) p.confirmed(ec);
    unconfirmed.clear();
  }

  // Nothing is published any more: fail what is pending and refuse the rest.
  void close_for_good() {
    lose(errc::stopped);
    std::deque<job> left;
    {
      std::lock_guard lock{mutex};
      refusing = true;
      left.swap(queued);
      full = false;
    }
    for (auto& j : left) j.confirmed(errc::stopped);
    asio::post(space->get_executor(), [space = space] { space->cancel(); });
  }
};

void publisher::impl::confirm_up_to(std::uint64_t sequence, bool multiple, std::error_code ec) {
  auto end = multiple ? unconfirmed.upper_bound(sequence) : unconfirmed.find(sequence);
  auto begin = multiple ? unconfirmed.begin() : end;
  if (!multiple) {
    if (end == unconfirmed.end()) return;  // expired already
    ++end;
  }
  for (auto it = begin; it != end; ++it) {
    auto& p = it->second;
    if (!ec && p.returned) {
      about(p.message).error("Message of type {} to {} with routing key {} was returned: no queue is bound for it.",
                             smp::type_name(p.message.type), p.message.exchange, p.message.routing_key);
      p.confirmed(errc::returned);
    } else {
      if (ec) {
        about(p.message).error("Message of type {} to {} with routing key {} was rejected by the broker.",
                               smp::type_name(p.message.type), p.message.exchange, p.message.routing_key);
      }
      p.confirmed(ec);
    }
  }
  unconfirmed.erase(begin, end);
}

void publisher::impl::on_return(const content& r) {
  // A return names no sequence number, only the contents. Every
  // unconfirmed message with these contents is failed: when two identical
  // ones are in flight, failing one too many is safe (the peer sends it
  // again), confirming a dropped one would not be.
  for (auto& [sequence, p] : unconfirmed) {
    if (p.message.routing_key == r.routing_key && p.message.exchange == r.exchange && p.message.body == r.body) {
      p.returned = true;
    }
  }
}

void publisher::impl::expire(clock::time_point now) {
  auto it = unconfirmed.begin();
  for (; it != unconfirmed.end() && it->second.deadline <= now; ++it) {
    about(it->second.message)
        .error("No confirmation from the broker for a message of type {} in {} ms.",
               smp::type_name(it->second.message.type), settings.confirmation_timeout.count());
    it->second.confirmed(errc::confirmation_timeout);
  }
  unconfirmed.erase(unconfirmed.begin(), it);
}

publisher::publisher(asio::any_io_executor ex, publisher_settings settings, log::logger logger)
    : impl_{std::make_shared<impl>(std::move(ex), std::move(settings), logger)} {
  const auto& s = impl_->settings;
  worker_settings w{s.connection, s.min_backoff, s.max_backoff, 1};
  worker_ = s.inline_worker ? broker_worker::start_inline(std::move(w), std::move(logger), impl_->space->get_executor())
                            : std::make_shared<broker_worker>(std::move(w), std::move(logger));
  impl_->worker = worker_;
  worker_->attach(impl_);
}

publisher::~publisher() {
  worker_->request_stop();  // an inline worker ends on its own, after the destructor
  worker_.reset();           // joins the thread, which fails what is pending
}

asio::awaitable<void> publisher::stop() { co_await worker_->stop(); }

asio::awaitable<void> publisher::submit(publication message, confirm_handler confirmed) {
  const auto self = impl_;  // the publisher may go while this waits
  job j{std::move(message), std::move(confirmed)};
  for (;;) {
    switch (self->try_put(j)) {
      case impl::put::closed:
        j.confirmed(errc::stopped);
        co_return;
      case impl::put::queued_first: {
        // The worker is woken behind the submitting session's current work
        // (posted to its own thread: no system call), so that it finds
        // every message the session read in one go, not just the first.
        auto wake = [self] {
          if (auto w = self->worker.lock()) w->notify(self.get());
        };
        asio::post(self->space->get_executor(), std::move(wake));
        co_return;
      }
      case impl::put::queued:
        co_return;
      case impl::put::full:
        break;
    }
    // Full: wait until the worker has taken some, or has ended.
    co_await self->space->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      throw std::system_error{asio::error::operation_aborted, "submit"};
    }
  }
}

bool publisher::connected() const noexcept { return impl_->connected; }

}  // namespace swpt::amqp

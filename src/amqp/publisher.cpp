#include "amqp/publisher.hpp"

#include "amqp/errc.hpp"
#include "amqp/wakeup.hpp"
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
#include <thread>

namespace swpt::amqp {
namespace {

using clock = std::chrono::steady_clock;
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

// How long the worker sleeps at most: short enough for the confirmation
// deadlines, the heartbeats and a prompt shutdown.
constexpr std::chrono::milliseconds max_sleep{100};

}  // namespace

struct publisher::impl {
  impl(asio::any_io_executor ex, publisher_settings s, log::logger l)
      : settings{std::move(s)},
        logger{std::move(l)},
        capacity{std::max<std::size_t>(settings.capacity, 1)},
        space{std::make_shared<asio::steady_timer>(std::move(ex), asio::steady_timer::time_point::max())} {}

  publisher_settings settings;
  log::logger logger;

  // The bounded queue from the sessions to the worker. A submit() that finds
  // it full waits on `space`, which the worker cancels (on the sessions'
  // executor, so no wakeup slips between a check and a wait) after taking
  // from a full queue.
  std::mutex mutex;
  std::deque<job> queued;  // guarded by mutex
  bool full = false;       // guarded by mutex: someone may wait for space
  const std::size_t capacity;
  // Sessions' executor only; never expires. Shared with the handlers the
  // worker posts, which may run after the publisher is gone.
  std::shared_ptr<asio::steady_timer> space;

  wakeup wake;
  std::atomic<bool> stopping{false};
  std::atomic<bool> connected{false};
  std::map<std::uint64_t, pending> unconfirmed;  // by publish sequence number
  std::thread worker;

  // Worker side: the oldest queued job.
  std::optional<job> take() {
    std::unique_lock lock{mutex};
    if (queued.empty()) return std::nullopt;
    std::optional<job> taken{std::move(queued.front())};
    queued.pop_front();
    if (full) {
      full = false;
      lock.unlock();
      asio::post(space->get_executor(), [space = space] { space->cancel(); });
    }
    return taken;
  }

  enum class put { queued, queued_first, full };

  // Session side: queues `j` unless the queue is full. The worker takes
  // everything queued whenever it wakes, so only the first job of a batch
  // needs to wake it.
  put try_put(job& j) {
    std::lock_guard lock{mutex};
    if (queued.size() >= capacity) {
      full = true;
      return put::full;
    }
    queued.push_back(std::move(j));
    return queued.size() == 1 ? put::queued_first : put::queued;
  }

  void run() noexcept;
  void serve(connection& c);
  void confirm_up_to(std::uint64_t sequence, bool multiple, std::error_code ec);
  void on_return(const content& returned);
  void expire(clock::time_point now);
  void fail_unconfirmed(std::error_code ec);
  // While there is no connection: fail what arrives, sleep at most `delay`.
  void idle_for(std::chrono::milliseconds delay);
};

void publisher::impl::run() noexcept {
  const std::string url = settings.connection.url.masked();
  logger.info("Creating a robust connection to {}.", url);
  auto backoff = settings.min_backoff;
  while (!stopping) {
    try {
      logger.info("Connecting to {}.", url);
      connection c{settings.connection};
      c.enable_confirms();
      connected = true;
      backoff = settings.min_backoff;
      serve(c);
    } catch (const std::exception& e) {
      logger.error("RabbitMQ connection error: {}", e.what());
    }
    if (connected.exchange(false)) logger.info("Disconnected from {}.", url);
    fail_unconfirmed(stopping ? errc::stopped : errc::connection_lost);
    if (!stopping) {
      idle_for(backoff);
      backoff = std::min(backoff * 2, settings.max_backoff);
    }
  }
  // Nothing is published any more: fail what is still queued.
  while (auto j = take()) j->confirmed(errc::stopped);
}

void publisher::impl::serve(connection& c) {
  // State of this connection; a new one starts afresh.
  std::uint64_t last_sequence = 0;  // publisher confirms number a channel's publishes from 1
  bool blocked = false;             // connection.blocked: the broker stopped reading publishes
  while (!stopping) {
    // Publish what the sessions handed over, unless the broker blocks
    // publishers (a resource alarm): then a publish could block the worker
    // for as long as the alarm lasts, and nothing would time out.
    while (auto j = take()) {
      if (blocked) {
        j->confirmed(errc::blocked);
        continue;
      }
      // Registered before it is written: if the write fails, the lost
      // connection fails it like every other unconfirmed message.
      auto& p = unconfirmed
                    .emplace(++last_sequence, pending{std::move(j->message), std::move(j->confirmed),
                                                      clock::now() + settings.confirmation_timeout})
                    .first->second;
      c.publish(p.message.exchange, p.message.routing_key,
                {json_content_type, smp::type_name(p.message.type), &p.message.headers}, p.message.body,
                /*mandatory=*/true);
    }
    // Read every frame that is there: confirmations and returns.
    while (auto frame = c.poll(std::chrono::milliseconds{0})) {
      if (frame->frame_type != AMQP_FRAME_METHOD) continue;
      const auto& method = frame->payload.method;
      switch (method.id) {
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
          on_return(c.read_content(*frame));
          break;
        case AMQP_CONNECTION_BLOCKED_METHOD:
          logger.warning("RabbitMQ blocks publishing (a resource alarm): messages fail until it ends.");
          blocked = true;
          break;
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
          logger.info("RabbitMQ accepts messages again.");
          blocked = false;
          break;
        default:
          break;
      }
    }
    c.release_buffers();
    expire(clock::now());
    if (!c.has_buffered_frames()) wake.wait(c.fd(), max_sleep);
  }
}

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
      logger.error("Message of type {} to {} with routing key {} was returned: no queue is bound for it.",
                   smp::type_name(p.message.type), p.message.exchange, p.message.routing_key);
      p.confirmed(errc::returned);
    } else {
      if (ec) {
        logger.error("Message of type {} to {} with routing key {} was rejected by the broker.",
                     smp::type_name(p.message.type), p.message.exchange, p.message.routing_key);
      }
      p.confirmed(ec);
    }
  }
  unconfirmed.erase(begin, end);
}

void publisher::impl::on_return(const content& returned) {
  // A return names no sequence number, only the contents. Every
  // unconfirmed message with these contents is failed: when two identical
  // ones are in flight, failing one too many is safe (the peer sends it
  // again), confirming a dropped one would not be.
  for (auto& [sequence, p] : unconfirmed) {
    if (p.message.routing_key == returned.routing_key && p.message.exchange == returned.exchange &&
        p.message.body == returned.body) {
      p.returned = true;
    }
  }
}

void publisher::impl::expire(clock::time_point now) {
  // Deadlines grow with the sequence numbers.
  auto it = unconfirmed.begin();
  for (; it != unconfirmed.end() && it->second.deadline <= now; ++it) {
    logger.error("No confirmation from the broker for a message of type {} in {} ms.",
                 smp::type_name(it->second.message.type), settings.confirmation_timeout.count());
    it->second.confirmed(errc::confirmation_timeout);
  }
  unconfirmed.erase(unconfirmed.begin(), it);
}

void publisher::impl::fail_unconfirmed(std::error_code ec) {
  for (auto& [sequence, p] : unconfirmed) p.confirmed(ec);
  unconfirmed.clear();
}

void publisher::impl::idle_for(std::chrono::milliseconds delay) {
  const auto until = clock::now() + delay;
  while (!stopping) {
    while (auto j = take()) j->confirmed(errc::not_connected);
    const auto now = clock::now();
    if (now >= until) return;
    wake.wait(-1, std::min(std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + 1ms, max_sleep));
  }
}

publisher::publisher(asio::any_io_executor ex, publisher_settings settings, log::logger logger)
    : impl_{std::make_unique<impl>(std::move(ex), std::move(settings), std::move(logger))} {
  impl_->worker = std::thread{[i = impl_.get()] { i->run(); }};
}

publisher::~publisher() {
  impl_->stopping = true;
  impl_->wake.notify();
  impl_->worker.join();
}

asio::awaitable<void> publisher::submit(publication message, confirm_handler confirmed) {
  job j{std::move(message), std::move(confirmed)};
  impl::put outcome;
  while ((outcome = impl_->try_put(j)) == impl::put::full) {
    // Full: wait until the worker has taken some.
    co_await impl_->space->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      throw std::system_error{asio::error::operation_aborted, "submit"};
    }
  }
  if (outcome == impl::put::queued_first) impl_->wake.notify();
}

bool publisher::connected() const noexcept { return impl_->connected; }

}  // namespace swpt::amqp

#include "amqp/consumer.hpp"

#include "amqp/wakeup.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>

namespace swpt::amqp {
namespace {

// How long the worker sleeps at most: it must look at the socket at least
// every heartbeat / 2, and notice a shutdown promptly.
constexpr std::chrono::milliseconds max_sleep{100};

// Raises `target` to `value` unless it is higher already.
void raise_to(std::atomic<std::uint64_t>& target, std::uint64_t value) noexcept {
  auto current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

}  // namespace

struct consumer::impl {
  impl(asio::any_io_executor ex, consumer_settings s, prepare_function p, log::logger l)
      : settings{std::move(s)},
        prepare{std::move(p)},
        logger{std::move(l)},
        deliveries{std::move(ex), std::max<std::size_t>(settings.prefetch, 1)} {}

  consumer_settings settings;
  prepare_function prepare;
  log::logger logger;
  // Never full: the broker delivers at most `prefetch` unacknowledged messages.
  asio::experimental::concurrent_channel<void(asio::error_code, session::outgoing_message)> deliveries;
  wakeup wake;
  std::atomic<bool> stopping{false};
  std::atomic<bool> finished{false};
  std::atomic<std::uint64_t> handed_out{0};  // the highest delivery tag queued for the session
  std::atomic<std::uint64_t> ack_up_to{0};   // what the peer confirmed
  std::uint64_t acked = 0;                    // what the broker was told (worker thread)
  std::mutex mutex;
  std::optional<std::string> failure;  // guarded by mutex
  std::thread worker;

  std::optional<std::string> failed() {
    std::lock_guard lock{mutex};
    return failure;
  }

  void run() noexcept;
  void serve(connection& c);
  void handle(connection& c, content delivery);
  void flush_acks(connection& c) {
    if (const auto up_to = ack_up_to.load(); up_to > acked) {
      c.ack(up_to, /*multiple=*/true);
      acked = up_to;
    }
  }
};

void consumer::impl::run() noexcept {
  const std::string url = settings.connection.url.masked();
  try {
    logger.info("Connecting to {}.", url);
    connection c{settings.connection};
    c.set_prefetch(settings.prefetch);
    c.consume(settings.queue);
    logger.info("Started consuming from {}.", settings.queue);
    serve(c);
    flush_acks(c);
  } catch (const std::exception& e) {
    logger.error("RabbitMQ connection error: {}", e.what());
    std::lock_guard lock{mutex};
    failure = e.what();
  }
  logger.info("Disconnected from {}.", url);
  deliveries.close();  // wakes a waiting next()
}

void consumer::impl::serve(connection& c) {
  while (!stopping) {
    flush_acks(c);
    while (auto frame = c.poll(std::chrono::milliseconds{0})) {
      if (frame->frame_type != AMQP_FRAME_METHOD) continue;
      switch (frame->payload.method.id) {
        case AMQP_BASIC_DELIVER_METHOD:
          handle(c, c.read_content(*frame));
          break;
        case AMQP_BASIC_CANCEL_METHOD:
          throw error{fmt::format("the broker cancelled the consumer of queue {} (was it deleted?)", settings.queue)};
        default:
          break;
      }
    }
    c.release_buffers();
    if (!c.has_buffered_frames()) wake.wait(c.fd(), max_sleep);
  }
}

void consumer::impl::handle(connection& c, content delivery) {
  auto prepared = prepare(delivery);
  if (!prepared) {
    // Rejected without requeue: the queue's dead-letter exchange moves it to
    // <queue>.XQ, where an operator can look at it.
    logger.error("Message {} in queue {} cannot be sent and goes to {}.XQ: {}", delivery.delivery_tag,
                 settings.queue, settings.queue, prepared.error());
    c.reject(delivery.delivery_tag, /*requeue=*/false);
    return;
  }
  // Raised first: the peer may confirm it as soon as it is queued. A send
  // that fails (only after finish()) leaves it unacknowledged, so the broker
  // redelivers it after the connection closes.
  raise_to(handed_out, delivery.delivery_tag);
  deliveries.try_send(asio::error_code{}, session::outgoing_message{std::to_string(delivery.delivery_tag),
                                                                    std::move(*delivery.type), std::move(*prepared)});
}

consumer::consumer(asio::any_io_executor ex, consumer_settings settings, prepare_function prepare,
                   log::logger logger)
    : impl_{std::make_unique<impl>(std::move(ex), std::move(settings), std::move(prepare), std::move(logger))} {
  impl_->worker = std::thread{[i = impl_.get()] { i->run(); }};
}

consumer::~consumer() {
  impl_->stopping = true;
  impl_->wake.notify();
  impl_->worker.join();
}

asio::awaitable<std::optional<session::outgoing_message>> consumer::next() {
  if (auto reason = impl_->failed()) throw error{*reason};
  auto [ec, message] =
      co_await impl_->deliveries.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
  if (!ec) co_return std::move(message);
  if (auto reason = impl_->failed()) throw error{*reason};
  if (impl_->finished) co_return std::nullopt;
  throw std::system_error{ec, "waiting for a message"};
}

std::optional<session::outgoing_message> consumer::try_next() {
  std::optional<session::outgoing_message> taken;
  if (impl_->finished) return taken;
  impl_->deliveries.try_receive([&](asio::error_code ec, session::outgoing_message m) {
    if (!ec) taken = std::move(m);
  });
  return taken;
}

void consumer::confirm(std::string_view id) {
  std::uint64_t tag = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), tag);
  if (ec != std::errc{} || end != id.data() + id.size() || tag == 0 || tag > impl_->handed_out.load()) {
    impl_->logger.warning("Invalid receipt-id: {}", id);
    return;
  }
  raise_to(impl_->ack_up_to, tag);
  impl_->wake.notify();
}

void consumer::finish() {
  impl_->finished = true;
  impl_->deliveries.close();
}

}  // namespace swpt::amqp

#include "daemon/units.hpp"

#include "amqp/backoff.hpp"
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/drainer.hpp"
#include "daemon/settings.hpp"
#include "log/describe.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace swpt::daemon {

using namespace asio::experimental::awaitable_operators;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// How often a unit looks at its consumer while the broker has not yet
// started it (or another replica holds the queue): a status, not an event.
constexpr std::chrono::milliseconds consumer_poll{100};
constexpr std::chrono::milliseconds standby_poll{1000};
// How often a drainer that stops when empty asks the broker.
constexpr std::chrono::seconds emptiness_check{5};

log::logger unit_logger(std::string_view name, const unit_spec& s) {
  return log::logger{std::string{name}}.with("peer", s.peer).with("queue", s.queue);
}

// The client's source, which tells the registry when the session first
// asks for a message: the STOMP connection is then up.
class observed_source final : public session::message_source {
 public:
  observed_source(amqp::consumer& c, std::function<void()> first) : consumer_{c}, first_{std::move(first)} {}
  asio::awaitable<std::optional<session::outgoing_message>> next() override {
    started();
    co_return co_await consumer_.next();
  }
  std::optional<session::outgoing_message> try_next() override {
    started();
    return consumer_.try_next();
  }
  void confirm(std::string_view id) override { consumer_.confirm(id); }

 private:
  void started() {
    if (first_) std::exchange(first_, nullptr)();
  }
  amqp::consumer& consumer_;
  std::function<void()> first_;
};

enum class consumer_wait { consuming, requested, failed };

// Until the consumer consumes (standby meanwhile), fails, or a request
// comes to the unit.
asio::awaitable<consumer_wait> until_consuming(amqp::consumer& source, unit_control& control,
                                               unit_registry& registry, const unit_key& key, std::string& why) {
  const auto requests = control.requests();
  for (;;) {
    const auto status = source.status();
    switch (status.state) {
      case amqp::consumer_state::consuming:
        co_return consumer_wait::consuming;
      case amqp::consumer_state::failed:
      case amqp::consumer_state::stopped:
        why = status.reason.empty() ? "the consumer stopped" : status.reason;
        co_return consumer_wait::failed;
      case amqp::consumer_state::standby:
        registry.set(key, unit_phase::standby);
        break;
      case amqp::consumer_state::starting:
        break;
    }
    if (control.requests() != requests) co_return consumer_wait::requested;
    const bool standby = status.state == amqp::consumer_state::standby;
    co_await control.sleep(standby ? standby_poll : consumer_poll);
  }
}

struct attempt_result {
  bool requested = false;  // ended by finish, restart or abort
  bool refused = false;    // the longer backoff applies
  bool healthy = false;    // it worked for a while: the backoff starts again from its beginning
  std::string error;       // why it ended, when it failed
};

// One attempt's consumer of the unit's queue. Each attempt has a fresh one:
// what the previous consumer did not confirm is back in the queue first.
class attempt_source {
 public:
  attempt_source(const unit_spec& s, const unit_key& key)
      : consumer{s.env.pool, s.env.ex, queue_consumer(*s.env.current, s.queue), amqp::prepare_for(s.files->context),
                 log::logger{"swpt_stomp.rmq"}.with("peer", s.peer)},
        s_{s},
        key_{key},
        requests_{s.control->requests()} {
    s.env.registry.set(key, unit_phase::discovered);
  }

  // Until it consumes (standby meanwhile), fails (why in r.error), or a
  // request comes to the unit.
  asio::awaitable<consumer_wait> start(attempt_result& r) {
    return until_consuming(consumer, *s_.control, s_.env.registry, key_, r.error);
  }

  // The consumer finishes and stops; whether a request ended the attempt.
  asio::awaitable<void> end(attempt_result& r) {
    s_.env.registry.set(key_, unit_phase::stopping);
    consumer.finish();
    co_await consumer.stop();
    r.requested = s_.control->requests() != requests_;
  }

  amqp::consumer consumer;

 private:
  const unit_spec& s_;
  const unit_key& key_;
  const std::uint64_t requests_;
};

// A peer's ERROR that says we are not welcome there, or a certificate that
// does not fit: no use asking again soon.
bool refused(const session::client_outcome& o) {
  switch (o.kind) {
    case session::client_end::tls:
    case session::client_end::identity:
      return true;
    case session::client_end::peer_error:
      return o.detail.find("deactivated") != std::string::npos || o.detail.find("Unknown peer") != std::string::npos ||
             o.detail.find("Invalid certificate") != std::string::npos;
    default:
      return false;
  }
}

// One client connection: consume, connect, send until something ends it;
// then the consumer is stopped, so what was not confirmed returns to the
// queue before the next attempt or another replica takes it.
asio::awaitable<attempt_result> client_attempt(const unit_spec& s, const unit_key& key, const log::logger& logger) {
  const auto settings = s.env.current;
  const auto files = s.files;
  auto& registry = s.env.registry;
  attempt_result r;
  attempt_source source{s, key};
  const auto waited = co_await source.start(r);
  if (waited == consumer_wait::consuming) {
    registry.set(key, unit_phase::connecting);
    session::client_stop stop{s.env.ex};
    s.control->begin({[&stop](session::duration grace) { stop.finish(grace); }, [&stop] { stop.abort(); }});
    std::optional<steady::time_point> up;
    observed_source observed{source.consumer, [&] {
                               up = steady::now();
                               registry.set(key, unit_phase::running);
                               registry.forget_error(key);
                               logger.info("Connected to peer {}: sending the messages of queue {}.", s.peer, s.queue);
                             }};
    session::client_outcome outcome;
    // Named, not braced temporaries: g++ 12 destroys a braced temporary
    // argument of a coroutine twice.
    const session::client_target target{s.peer, files->data->manifest};
    auto client_settings = client_settings_for(*settings);
    client_settings.handshakes = &s.env.handshakes;
    const auto session_logger = log::logger{"swpt_stomp.client"}.with("queue", s.queue);
    try {
      outcome = co_await session::run_client(*files->client_tls, target, client_settings, observed, &stop,
                                             session_logger);
    } catch (const std::exception& e) {
      outcome = {session::client_end::source_failed, log::describe(e)};
    }
    s.control->end();
    r.refused = refused(outcome);
    r.healthy = up && steady::now() - *up >= settings->clients.healthy_after;
    if (outcome.kind != session::client_end::finished && outcome.kind != session::client_end::aborted)
      r.error = fmt::format("{}: {}", session::to_string(outcome.kind), outcome.detail);
  }
  co_await source.end(r);
  co_return r;
}

// Between attempts: the delay, logged and in the registry; false when the
// unit is to end.
asio::awaitable<bool> pause(const unit_spec& s, const unit_key& key, amqp::backoff& b, const log::logger& logger) {
  const auto delay = b.next();
  s.env.registry.backoff(key, std::chrono::system_clock::now() + delay);
  logger.info("Trying again in {:.1f} s.", std::chrono::duration<double>(delay).count());
  co_await s.control->sleep(delay);
  co_return !s.control->finishing();
}

}  // namespace

unit_control::unit_control(const asio::any_io_executor& ex) : changed_{ex, steady::time_point::max()} {}

void unit_control::finish(session::duration grace) {
  if (finishing_) return;
  finishing_ = true;
  grace_ = grace;
  if (ends_.graceful) ends_.graceful(grace);
  wake();
}

void unit_control::restart(session::duration grace) {
  if (finishing_) return;
  if (ends_.graceful) ends_.graceful(grace);
  wake();
}

void unit_control::abort() {
  if (aborted_) return;
  finishing_ = aborted_ = true;
  if (ends_.at_once) ends_.at_once();
  wake();
}

void unit_control::begin(attempt_ends ends) {
  ends_ = std::move(ends);
  // A request that came while the attempt was getting ready.
  if (aborted_ && ends_.at_once) ends_.at_once();
  else if (finishing_ && ends_.graceful) ends_.graceful(grace_);
}

void unit_control::wake() {
  ++requests_;
  changed_.cancel();
}

asio::awaitable<bool> unit_control::sleep(steady::duration d) {
  const auto before = requests_;
  asio::steady_timer timer{changed_.get_executor(), d};
  co_await (timer.async_wait(nothrow) || changed_.async_wait(nothrow));
  co_return requests_ != before;
}

asio::awaitable<void> run_client_unit(unit_spec s) {
  const unit_key key{unit_kind::client, s.peer, s.queue};
  const auto logger = unit_logger("swpt_stomp.daemon", s);
  const auto c = s.env.current->clients;
  amqp::backoff network{c.backoff_initial, c.backoff_max}, refusal{c.refused_backoff_initial, c.refused_backoff_max};
  logger.info("Starting the client of queue {}.", s.queue);
  while (!s.control->finishing()) {
    auto r = co_await client_attempt(s, key, logger);
    if (s.control->finishing()) break;
    if (r.healthy || r.requested) {
      network.reset();
      refusal.reset();
    }
    if (r.requested && r.error.empty()) continue;  // a restart: with the new files at once
    if (!r.error.empty()) {
      s.env.registry.failed(key, r.error);
      logger.warning("The client of queue {} stopped: {}", s.queue, r.error);
    }
    if (!co_await pause(s, key, r.refused ? refusal : network, logger)) break;
  }
  s.env.registry.remove(key);
  logger.info("The client of queue {} has ended.", s.queue);
}

namespace {

// Ready messages in the queue, from a passive queue.declare on a
// connection of its own, off the event loop (rabbitmq-c blocks).
asio::awaitable<std::uint32_t> ready_messages(const unit_spec& s) {
  auto settings = broker_connection(*s.env.current, "swpt-stomp run: queue check");
  // Named, not written in the co_await: g++ 12 destroys the captures of a
  // closure made in a co_await's full-expression twice.
  auto check = [settings = std::move(settings), queue = s.queue]() -> asio::awaitable<std::uint32_t> {
    amqp::connection broker{settings};
    co_return broker.declare_queue(queue, {}, /*passive=*/true);
  };
  co_return co_await asio::co_spawn(s.env.blocking, std::move(check), asio::use_awaitable);
}

// drainers.stop_when_empty: the consumer is finished once the queue holds
// no ready message; what the drainer still has in hand is answered and
// acknowledged before run_drainer returns. A message that arrives later
// stays in the queue.
asio::awaitable<void> finish_when_empty(const unit_spec& s, amqp::consumer& source, const log::logger& logger) {
  for (;;) {
    if (co_await s.control->sleep(emptiness_check)) co_return;
    try {
      if (co_await ready_messages(s) == 0) {
        logger.info("Queue {} is empty: the drainer stops.", s.queue);
        s.control->drained = true;
        source.finish();
        co_return;
      }
    } catch (const std::exception& e) {
      logger.warning("Cannot check whether queue {} is empty: {}", s.queue, log::describe(e));
    }
  }
}

asio::awaitable<attempt_result> drainer_attempt(const unit_spec& s, const unit_key& key, const log::logger& logger) {
  const auto settings = s.env.current;
  const auto files = s.files;
  auto& registry = s.env.registry;
  attempt_result r;
  attempt_source source{s, key};
  const auto waited = co_await source.start(r);
  if (waited == consumer_wait::consuming && !s.control->aborted()) {
    registry.set(key, unit_phase::draining);
    asio::steady_timer aborted{s.env.ex, steady::time_point::max()};
    auto& consumer = source.consumer;
    s.control->begin({[&consumer](session::duration) { consumer.finish(); }, [&aborted] { aborted.cancel(); }});
    const auto drainer_logger = log::logger{"swpt_stomp.drainer"}.with("peer", s.peer).with("queue", s.queue);
    auto drain = amqp::run_drainer(consumer, s.env.publisher, files->context,
                                   std::max<std::size_t>(settings->server.buffer, 1), drainer_logger);
    try {
      // An abort cancels the drainer where it waits: unconfirmed answers
      // leave their messages unacknowledged, so they come again.
      if (settings->drainers.stop_when_empty)
        co_await ((std::move(drain) && finish_when_empty(s, consumer, logger)) || aborted.async_wait(nothrow));
      else
        co_await (std::move(drain) || aborted.async_wait(nothrow));
    } catch (const std::exception& e) {
      r.error = log::describe(e);
    }
    s.control->end();
  }
  co_await source.end(r);
  co_return r;
}

}  // namespace

asio::awaitable<void> run_drainer_unit(unit_spec s) {
  const unit_key key{unit_kind::drainer, s.peer, s.queue};
  const auto logger = unit_logger("swpt_stomp.daemon", s);
  const auto c = s.env.current->clients;
  amqp::backoff retry{c.backoff_initial, c.backoff_max};
  logger.info("Starting the drainer of queue {}.", s.queue);
  while (!s.control->finishing() && !s.control->drained) {
    auto r = co_await drainer_attempt(s, key, logger);
    if (s.control->finishing() || s.control->drained) break;
    if (r.requested && r.error.empty()) continue;
    if (!r.error.empty()) {
      s.env.registry.failed(key, r.error);
      logger.warning("The drainer of queue {} stopped: {}", s.queue, r.error);
    }
    if (!co_await pause(s, key, retry, logger)) break;
  }
  s.env.registry.remove(key);
  logger.info("The drainer of queue {} has ended.", s.queue);
}

}  // namespace swpt::daemon

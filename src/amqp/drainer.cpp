#include "amqp/drainer.hpp"

#include "amqp/connection.hpp"
#include "core/drainer.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/redirect_error.hpp>

#include <algorithm>
#include <deque>
#include <memory>

namespace swpt::amqp {
namespace {

// Consumed messages in order, each acknowledged only once its response (if
// any) is confirmed: the peer's queue never loses a message whose answer
// did not reach the owner's exchange. Lives on the drainer's executor.
struct progress : std::enable_shared_from_this<progress> {
  explicit progress(const asio::any_io_executor& ex) : wake{ex, asio::steady_timer::time_point::max()} {}
  // `wake` never expires: it only wakes by cancel(), and every waiter
  // checks its condition before waiting again.

  std::deque<std::pair<std::string, bool>> consumed;  // delivery id, answered
  std::uint64_t first = 0;                            // sequence number of consumed.front()
  std::size_t unconfirmed = 0;                        // responses at the broker
  std::error_code failure;
  consumer* source = nullptr;  // null once the drainer has returned
  asio::steady_timer wake;                     // cancelled whenever something changes

  std::uint64_t add(std::string id, bool answered) {
    consumed.emplace_back(std::move(id), answered);
    return first + consumed.size() - 1;
  }

  void answered(std::uint64_t sequence) {
    consumed[sequence - first].second = true;
    std::string last;
    while (!consumed.empty() && consumed.front().second) {
      last = std::move(consumed.front().first);
      consumed.pop_front();
      ++first;
    }
    if (!last.empty() && source != nullptr) source->confirm(last);
  }

  void check() const {
    if (failure) throw error{"a response could not be published: " + failure.message()};
  }

  // Waits for the next wake.cancel().
  auto changed() {
    return wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
  }
  asio::error_code woken;  // always operation_aborted

};

}  // namespace

namespace {

asio::awaitable<void> drain(consumer& source, session::message_sink& sink, const peer_context& peering,
                            std::size_t max_unconfirmed, const log::logger& logger, progress& progress_) {
  const auto state = progress_.shared_from_this();
  const auto ex = state->wake.get_executor();
  for (;;) {
    state->check();
    auto delivery = co_await source.next();
    if (!delivery) break;
    const auto type = smp::parse_message_type(delivery->type);
    auto consumed = type ? smp::message::parse(*type, delivery->body) : std::nullopt;
    if (!consumed) throw error{"the consumer handed over an invalid message"};  // it checks every one

    const auto now = std::chrono::system_clock::now();
    auto response = drainer_response(*consumed, now);
    if (!response) {
      state->answered(state->add(std::move(delivery->id), false));
      continue;
    }
    auto publication = publication_for(peering, std::move(*response), now);
    if (!publication) throw error{"a generated response is invalid: " + publication.error()};
    logger.debug("Answering {} {} with {}.", delivery->type, delivery->id, smp::type_name(publication->type));
    while (state->unconfirmed >= max_unconfirmed) {
      co_await state->changed();
      state->check();
    }
    const auto sequence = state->add(std::move(delivery->id), false);
    ++state->unconfirmed;
    // A named handler: GCC 12 destroys a temporary made inside a co_await
    // expression twice (the shared state was released once too often).
    session::message_sink::confirm_handler on_confirmed = [state, ex, sequence](std::error_code ec) {
      asio::post(ex, [state, ec, sequence] {
        --state->unconfirmed;
        if (ec) {
          if (!state->failure) state->failure = ec;
          // Ends a wait for the next message, even while the queue is empty.
          if (state->source != nullptr) state->source->finish();
        } else {
          state->answered(sequence);
        }
        state->wake.cancel();
      });
    };
    co_await sink.submit(std::move(*publication), std::move(on_confirmed));
  }
  while (state->unconfirmed > 0) co_await state->changed();
  state->check();
}

}  // namespace

asio::awaitable<void> run_drainer(consumer& source, session::message_sink& sink, const peer_context& peering,
                                  std::size_t max_unconfirmed, log::logger logger) {
  auto state = std::make_shared<progress>(co_await asio::this_coro::executor);
  state->source = &source;
  std::exception_ptr failure;
  try {
    co_await drain(source, sink, peering, std::max<std::size_t>(max_unconfirmed, 1), logger, *state);
  } catch (...) {
    failure = std::current_exception();
  }
  state->source = nullptr;  // confirmations still on their way must not touch it
  if (failure) std::rethrow_exception(failure);
}

}  // namespace swpt::amqp

#include "amqp/drainer.hpp"

#include "amqp/connection.hpp"
#include "core/drainer.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <deque>
#include <memory>

namespace swpt::amqp {
namespace {

// Consumed messages in order, each acknowledged only once its response (if
// any) is confirmed: the peer's queue never loses a message whose answer
// did not reach the owner's exchange. Lives on the drainer's executor.
struct progress {
  explicit progress(const asio::any_io_executor& ex) : wake{ex, asio::steady_timer::time_point::max()} {}

  std::deque<std::pair<std::string, bool>> consumed;  // delivery id, answered
  std::uint64_t first = 0;                            // sequence number of consumed.front()
  std::size_t unconfirmed = 0;                        // responses at the broker
  std::error_code failure;
  session::message_source* source = nullptr;  // null once the drainer has returned
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

  asio::awaitable<void> changed() {
    wake.expires_at(asio::steady_timer::time_point::max());
    co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
};

}  // namespace

asio::awaitable<void> run_drainer(session::message_source& source, session::message_sink& sink,
                                  const peer_context& peering, std::size_t max_unconfirmed, log::logger logger) {
  const auto ex = co_await asio::this_coro::executor;
  auto state = std::make_shared<progress>(ex);
  state->source = &source;
  struct detach {
    progress& p;
    ~detach() { p.source = nullptr; }
  } guard{*state};

  const auto check = [&] {
    if (state->failure) throw error{"a response could not be published: " + state->failure.message()};
  };
  for (;;) {
    check();
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
      check();
    }
    const auto sequence = state->add(std::move(delivery->id), false);
    ++state->unconfirmed;
    co_await sink.submit(std::move(*publication), [state, ex, sequence](std::error_code ec) {
      asio::post(ex, [state, ec, sequence] {
        --state->unconfirmed;
        if (ec) {
          if (!state->failure) state->failure = ec;
        } else {
          state->answered(sequence);
        }
        state->wake.cancel();
      });
    });
  }
  while (state->unconfirmed > 0) co_await state->changed();
  check();
}

}  // namespace swpt::amqp

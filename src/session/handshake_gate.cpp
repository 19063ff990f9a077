#include "session/handshake_gate.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace swpt::session {

handshake_gate::handshake_gate(std::size_t limit) : free_{std::max<std::size_t>(limit, 1)} {}

handshake_gate::waiter::waiter(handshake_gate& g, const asio::any_io_executor& ex)
    : gate{g}, wake{ex, asio::steady_timer::time_point::max()}, place{g.waiting_.insert(g.waiting_.end(), this)} {}

handshake_gate::waiter::~waiter() {
  if (queued) gate.waiting_.erase(place);
}

asio::awaitable<std::optional<handshake_gate::permit>> handshake_gate::enter() {
  if (free_ > 0 && waiting_.empty()) {
    --free_;
    co_return permit{*this};
  }
  const auto ex = co_await asio::this_coro::executor;  // not inside the braces (GCC 12)
  waiter w{*this, ex};
  co_await w.wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  // A place handed over wins over a cancellation that came with it: the
  // permit then gives it on at once.
  if (w.granted) co_return permit{*this};
  co_return std::nullopt;  // cancelled: ~waiter leaves the queue
}

// The place goes straight to the first waiter, so that a newcomer cannot
// take it between the wake-up and the waiter's turn.
void handshake_gate::release() {
  if (waiting_.empty()) {
    ++free_;
    return;
  }
  waiter* next = waiting_.front();
  waiting_.pop_front();
  next->queued = false;
  next->granted = true;
  next->wake.cancel();
}

}  // namespace swpt::session

#pragma once
// The first of several coroutines to finish, in one step: what a chain of
// Asio's `a || b || c` does for coroutines without a result, at a lower
// cost. Each `||` is a coroutine of its own that spawns its two sides, so a
// chain of n holds n - 1 operator frames and 2(n - 1) spawned coroutines
// while it waits; race() holds one frame and n. A daemon keeps a thousand
// idle connections, each waiting in such a race.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <tuple>
#include <cstddef>
#include <exception>
#include <type_traits>

namespace swpt::async {

// Runs every branch until one returns, then cancels the others and waits
// for them; returns the index of the branch that returned. As with `||`, a
// branch that throws does not end the race: if all throw, the exception of
// the first to finish is rethrown.
template <class... Branches>
  requires(sizeof...(Branches) >= 2 && (std::is_same_v<Branches, asio::awaitable<void>> && ...))
asio::awaitable<std::size_t> race(Branches... branches) {
  const auto ex = co_await asio::this_coro::executor;
  auto result = co_await asio::experimental::make_parallel_group(
                    asio::co_spawn(ex, std::move(branches), asio::experimental::deferred)...)
                    .async_wait(asio::experimental::wait_for_one_success(), asio::use_awaitable);
  const auto& order = std::get<0>(result);
  const auto errors = std::apply([](const auto&, const auto&... e) { return std::array<std::exception_ptr, sizeof...(e)>{e...}; },
                                 result);
  for (const std::size_t i : order)
    if (!errors[i]) co_return i;
  std::rethrow_exception(errors[order[0]]);
}

}  // namespace swpt::async

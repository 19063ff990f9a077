#include "async/task_group.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <cassert>
#include <memory>
#include <system_error>

namespace swpt::async {

using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// A child ended by terminal cancellation throws operation_aborted at its
// next co_await: that is the end its owner asked for, not a failure.
bool is_cancellation(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& x) {
    return x.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an unknown exception";
  }
}

}  // namespace

task_group::task_group(asio::any_io_executor ex, log::logger logger)
    : ex_{std::move(ex)}, logger_{std::move(logger)}, emptied_{ex_, asio::steady_timer::time_point::max()} {}

task_group::~task_group() { assert(children_.empty() && "a task_group is destroyed while a child runs"); }

void task_group::spawn(asio::awaitable<void> task, std::string name) {
  const auto it = children_.emplace(children_.end());
  it->name = std::move(name);
  asio::co_spawn(ex_, std::move(task),
                 asio::bind_cancellation_slot(it->signal.slot(),
                                              [this, it](std::exception_ptr e) { finished(it, e); }));
}

void task_group::finished(std::list<child>::iterator which, std::exception_ptr e) {
  which->finished = true;
  if (e && is_cancellation(e))
    logger_.debug("{} ended by cancellation", which->name);
  else if (e)
    logger_.error("{} failed: {}", which->name, describe(e));
  // Erased from a handler of its own: the child's cancellation state lives
  // in the signal's slot until the child's coroutine frames are gone, which
  // is after this completion handler was called.
  asio::post(ex_, [this, which] {
    children_.erase(which);
    if (children_.empty()) emptied_.cancel();
  });
}

void task_group::emit(asio::cancellation_type type) {
  for (auto& c : children_)
    if (!c.finished) c.signal.emit(type);
}

asio::awaitable<void> task_group::wait() {
  while (!children_.empty()) co_await emptied_.async_wait(nothrow);
}

asio::awaitable<void> task_group::stop(std::chrono::steady_clock::duration grace) {
  emit(asio::cancellation_type::total);
  asio::steady_timer bound{ex_, grace};
  co_await (wait() || bound.async_wait(nothrow));
  if (!children_.empty()) {
    logger_.info("{} task(s) still running after the graceful period: cancelling them", children_.size());
    emit(asio::cancellation_type::terminal);
  }
  co_await wait();
}

asio::awaitable<void> run_stoppable(asio::awaitable<void> work, std::function<void()> graceful,
                                    std::function<void()> terminal) {
  // Total cancellation must reach this coroutine, and being cancelled must
  // not throw here: the reaction is a call, then waiting for `work` on.
  co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto ex = co_await asio::this_coro::executor;

  // Shared with `work`'s completion handler, which may run after this frame
  // is gone only if the io_context is destroyed first.
  struct ending {
    explicit ending(const asio::any_io_executor& ex) : wake{ex, asio::steady_timer::time_point::max()} {}
    bool done = false;
    std::exception_ptr error;
    asio::steady_timer wake;
  };
  const auto end = std::make_shared<ending>(ex);
  // Not bound to this coroutine's slot: cancellation reaches `work` only as
  // the calls below.
  asio::co_spawn(ex, std::move(work), [end](std::exception_ptr e) {
    end->done = true;
    end->error = e;
    end->wake.cancel();
  });

  bool graceful_called = false, terminal_called = false;
  while (!end->done) {
    co_await end->wake.async_wait(nothrow);
    const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (cancelled == asio::cancellation_type::none) continue;
    if ((cancelled & asio::cancellation_type::terminal) != asio::cancellation_type::none) {
      if (!std::exchange(terminal_called, true)) terminal();
    } else if (!std::exchange(graceful_called, true)) {
      graceful();
    }
    // A fresh state, so that a terminal cancellation after a total one is
    // told apart (cancelled() accumulates).
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
  }
  if (end->error) std::rethrow_exception(end->error);
}

}  // namespace swpt::async

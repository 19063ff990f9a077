#pragma once
// A group of child coroutines that one owner starts and stops: graceful
// first, terminal after a bound, and an awaitable end (the idea of the
// task_group in Beast's advanced_server_flex_awaitable example).
//
// Each child gets a cancellation slot of its own. stop(grace) emits total
// cancellation to every child, waits up to `grace` for the group to empty,
// then emits terminal cancellation and waits for the rest. A child that
// wants the graceful step must opt in: an Asio 1.22 coroutine sees only
// terminal cancellation unless it resets its cancellation state
// (run_stoppable does this for a child made of callbacks). Terminal
// cancellation must end a child promptly.
//
// A child's exception is logged and goes no further; nothing is detached.
//
// Thread contract: the group and its children run on one single-threaded
// executor; every member function is called there.
// Lifetime: the group must not be destroyed while a child runs (children
// hold references to their owners); await wait() or stop() first.

#include "log/log.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <string>

namespace swpt::async {

class task_group {
 public:
  explicit task_group(asio::any_io_executor ex, log::logger logger = log::logger{"swpt_stomp.tasks"});
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  // Starts `task` as a child; `name` tells its exception apart in the log.
  // A child spawned while stop() runs is not cancelled by it: stop the
  // source of new children first (the server closes its acceptor).
  void spawn(asio::awaitable<void> task, std::string name);

  // Emits `type` to every child running now.
  void emit(asio::cancellation_type type);

  // Completes when no child remains (at once when there is none).
  asio::awaitable<void> wait();

  // Total cancellation to all, terminal after `grace` to those still
  // running; completes when no child remains.
  asio::awaitable<void> stop(std::chrono::steady_clock::duration grace);

  std::size_t size() const noexcept { return children_.size(); }
  bool empty() const noexcept { return children_.empty(); }

 private:
  struct child {
    asio::cancellation_signal signal;
    std::string name;
    bool finished = false;  // completed, not yet erased: nothing to emit to
  };
  void finished(std::list<child>::iterator which, std::exception_ptr e);

  asio::any_io_executor ex_;
  log::logger logger_;
  std::list<child> children_;  // a list: each slot stays where it is
  asio::steady_timer emptied_;  // never expires; cancel() wakes wait()
};

// Runs `work` as a coroutine of its own, shielded from the caller's
// cancellation, and turns that cancellation into calls: total (or partial)
// into `graceful`, terminal into `terminal`, each at most once. Completes
// when `work` has ended, rethrowing its exception. For task_group children
// whose graceful end is a request to an object rather than an exception in
// the middle of its I/O.
asio::awaitable<void> run_stoppable(asio::awaitable<void> work, std::function<void()> graceful,
                                    std::function<void()> terminal);

}  // namespace swpt::async

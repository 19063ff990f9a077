#pragma once
// A bound on the TLS handshakes that a process's clients run at once (each
// from its TCP connect on). A handshake holds buffers (some 30 KiB) until
// it ends; a daemon that starts a thousand clients together would hold a
// thousand of them at once, and the heap keeps the space of that peak long
// after the connections have settled. Waiters get places in the order they
// asked.
//
// Thread contract: the gate and every client using it run on one
// single-threaded executor.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <list>
#include <optional>
#include <utility>

namespace swpt::session {

class handshake_gate {
 public:
  // At most `limit` (at least 1) places taken at a time.
  explicit handshake_gate(std::size_t limit);
  handshake_gate(const handshake_gate&) = delete;
  handshake_gate& operator=(const handshake_gate&) = delete;

  // A place, given back when it is destroyed.
  class permit {
   public:
    permit(permit&& other) noexcept : gate_{std::exchange(other.gate_, nullptr)} {}
    permit& operator=(permit&&) = delete;
    ~permit() {
      if (gate_) gate_->release();
    }

   private:
    friend class handshake_gate;
    explicit permit(handshake_gate& gate) : gate_{&gate} {}
    handshake_gate* gate_;
  };

  // Waits for a place; nullopt when the waiting coroutine is cancelled.
  // The gate must outlive the permit.
  asio::awaitable<std::optional<permit>> enter();

  std::size_t free_places() const noexcept { return free_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  // On the waiting coroutine's frame; leaves the queue with it, even when
  // the frame is destroyed without resuming.
  struct waiter {
    waiter(handshake_gate& g, const asio::any_io_executor& ex);
    ~waiter();
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;

    handshake_gate& gate;
    asio::steady_timer wake;  // never expires: cancel() is the wake-up
    std::list<waiter*>::iterator place;
    bool queued = true;
    bool granted = false;
  };
  void release();

  std::size_t free_;
  std::list<waiter*> waiting_;  // in the order they came
};

}  // namespace swpt::session

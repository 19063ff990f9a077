#pragma once
// A count of frequent, uninteresting events (failed handshakes of
// unauthenticated clients, connections refused at a cap) that is reported
// at most once per period instead of once per event: whoever floods the
// server must not flood its log, and the operator still sees that it
// happens and how much.

#include <chrono>
#include <cstddef>
#include <optional>

namespace swpt::session {

class event_tally {
 public:
  using clock = std::chrono::steady_clock;

  explicit event_tally(clock::duration period = std::chrono::seconds{60}) : period_{period} {}

  struct report {
    std::size_t count;                // events since the last report, this one included
    clock::duration since_last;       // time since the last report (or the first event)
  };

  // Counts one event. The first event, and the first one after a period
  // has passed since the last report, return a report and start counting
  // afresh; the others return nothing.
  std::optional<report> count(clock::time_point now = clock::now()) {
    ++count_;
    if (reported_ && now - *reported_ < period_) return std::nullopt;
    const report r{count_, reported_ ? now - *reported_ : clock::duration::zero()};
    reported_ = now;
    count_ = 0;
    return r;
  }

 private:
  clock::duration period_;
  std::optional<clock::time_point> reported_;
  std::size_t count_ = 0;
};

}  // namespace swpt::session

#pragma once
// Delays before trying again (reconnecting, or asking again for a queue
// another consumer holds): exponential with full jitter, so that a thousand
// clients that lost the broker at the same moment do not all come back at
// the same moment.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace swpt::amqp {

class backoff {
 public:
  backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_{std::max(initial, std::chrono::milliseconds{1})}, max_{std::max(max, initial_)} {}

  // A uniformly random delay in [0, min(max, initial * 2^failures)].
  std::chrono::milliseconds next() {
    const std::chrono::milliseconds grown = initial_ * (std::int64_t{1} << std::min(failures_++, 20));
    const auto ceiling = std::min(max_, grown).count();
    return std::chrono::milliseconds{std::uniform_int_distribution<std::int64_t>{0, ceiling}(random_)};
  }
  void reset() noexcept { failures_ = 0; }

 private:
  std::chrono::milliseconds initial_, max_;
  int failures_ = 0;
  std::minstd_rand random_{std::random_device{}()};
};

}  // namespace swpt::amqp

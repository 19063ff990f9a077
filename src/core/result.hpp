#pragma once
// A value or the human-readable reason why there is none. Used where a
// failure is an expected outcome of bad input (a peer's message), and the
// reason is exactly the text the peer or the log will see.

#include <string>
#include <utility>
#include <variant>

namespace swpt {

struct failure {
  std::string reason;
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_{std::move(value)} {}  // NOLINT: implicit by design
  result(failure f) : state_{std::move(f)} {}    // NOLINT: implicit by design

  explicit operator bool() const noexcept { return state_.index() == 0; }

  T& operator*() & { return std::get<0>(state_); }
  const T& operator*() const& { return std::get<0>(state_); }
  T&& operator*() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }

  // Precondition: !*this.
  const std::string& error() const { return std::get<1>(state_).reason; }

 private:
  std::variant<T, failure> state_;
};

}  // namespace swpt

#pragma once
// Text that came from a peer (a header value, an ERROR message, a receipt
// ID, a message a check failed on), bounded before it goes into a log line:
// a peer must not be able to fill the log with a few large frames.
// format_record escapes what is left, so bounding is all a call site does.
//
//   logger.warning("Received server error \"{}\".", log::untrusted(message));

#include <fmt/format.h>

#include <cstddef>
#include <string_view>

namespace swpt::log {

// Enough for every legitimate value (node IDs, receipt IDs, SMP type names,
// our own error texts), far below the STOMP parser's header and body limits.
inline constexpr std::size_t untrusted_limit = 200;

struct untrusted {
  explicit untrusted(std::string_view t, std::size_t max = untrusted_limit) noexcept : text{t}, limit{max} {}
  std::string_view text;
  std::size_t limit;
};

}  // namespace swpt::log

// At most `limit` bytes, then `...(N more bytes)`. A cut through a UTF-8
// sequence leaves a broken tail, which format_record shows escaped.
template <>
struct fmt::formatter<swpt::log::untrusted> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const swpt::log::untrusted& u, Context& ctx) const {
    if (u.text.size() <= u.limit) return fmt::formatter<std::string_view>::format(u.text, ctx);
    auto out = fmt::formatter<std::string_view>::format(u.text.substr(0, u.limit), ctx);
    return fmt::format_to(out, "...({} more bytes)", u.text.size() - u.limit);
  }
};

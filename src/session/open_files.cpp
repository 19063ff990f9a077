#include "session/open_files.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace swpt::session {
namespace {

std::uint64_t value_of(rlim_t r) noexcept {
  return r == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(r);
}

std::string text_of(std::uint64_t v) { return v == UINT64_MAX ? "unlimited" : std::to_string(v); }

}  // namespace

open_files_limit raise_open_files_limit() noexcept {
  open_files_limit result;
  try {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
      result.error = std::strerror(errno);
      return result;
    }
    result.before = result.soft = value_of(limit.rlim_cur);
    result.hard = value_of(limit.rlim_max);
    if (limit.rlim_cur == limit.rlim_max) return result;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      result.error = std::strerror(errno);
      return result;
    }
    result.soft = result.hard;
  } catch (...) {
    // Only the strings can throw (out of memory): the numbers are right.
  }
  return result;
}

std::string open_files_message(const open_files_limit& l) {
  if (!l.error.empty())
    return fmt::format("Open files limit: {} (hard limit {}); raising it failed: {}.", text_of(l.soft),
                       text_of(l.hard), l.error);
  if (l.before == l.soft) return fmt::format("Open files limit: {} (the hard limit).", text_of(l.soft));
  return fmt::format("Open files limit: raised from {} to {} (the hard limit).", text_of(l.before), text_of(l.soft));
}

}  // namespace swpt::session

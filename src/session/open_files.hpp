#pragma once
// The process's limit on open files. A server holds one descriptor per
// connection (and per pending TLS handshake); the soft limit many systems
// start a process with (1024) is far below what the hard limit allows, so a
// server raises it at start, as every long-running network daemon does.

#include <cstdint>
#include <string>

namespace swpt::session {

struct open_files_limit {
  std::uint64_t before = 0;  // the soft limit found
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;
  std::string error;         // why raising failed; empty if it did not
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit. Never throws: a
// server that cannot raise it still runs, with the limit it has.
open_files_limit raise_open_files_limit() noexcept;

// "Open files limit: 1024 -> 524288 (hard limit 524288)." and the like.
std::string open_files_message(const open_files_limit& l);

}  // namespace swpt::session

#pragma once
// What the server logs about connections that never got as far as a peer:
// failed or timed-out TLS handshakes, connections refused at a source's
// cap, pauses of the accept loop at a global cap. Anyone who can reach the
// port can make these happen as often as they like, so each one is a debug
// line, and an aggregate line (INFO, WARNING for pauses) comes at most once
// a minute: the operator sees that it happens and how much, and a flood
// does not become a flood of log lines.

#include "log/log.hpp"
#include "session/event_tally.hpp"

#include <asio/ip/address.hpp>

#include <cstddef>
#include <string_view>

namespace swpt::session {

class admission_log {
 public:
  explicit admission_log(log::logger logger, event_tally::clock::duration period = std::chrono::seconds{60})
      : logger_{std::move(logger)}, handshake_failures_{period}, refusals_{period}, pauses_{period} {}

  // `remote` is the connection's address:port as the session names it.
  void handshake_failed(std::string_view remote, std::string_view why);
  void refused(const asio::ip::address& source, std::size_t per_source_cap);
  void paused(std::size_t pending_handshakes, std::size_t connections);

 private:
  log::logger logger_;
  event_tally handshake_failures_, refusals_, pauses_;
};

}  // namespace swpt::session

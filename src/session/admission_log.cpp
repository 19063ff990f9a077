#include "session/admission_log.hpp"

#include "session/connection_limiter.hpp"

#include <fmt/format.h>

#include <chrono>

namespace swpt::session {
namespace {

// "in the last 61 s", or, for the first report, how often they come.
std::string period_of(const event_tally::report& r) {
  if (r.since_last == event_tally::clock::duration::zero()) return "so far (reported at most once a minute)";
  return fmt::format("in the last {} s", std::chrono::duration_cast<std::chrono::seconds>(r.since_last).count());
}

}  // namespace

void admission_log::handshake_failed(std::string_view remote, std::string_view why) {
  logger_.debug("SSL handshake failed ({}): {}", remote, why);
  if (const auto r = handshake_failures_.count())
    logger_.info("SSL handshakes failed or timed out: {} {}; the latest from {}: {}", r->count, period_of(*r), remote,
                 why);
}

void admission_log::refused(const asio::ip::address& source, std::size_t per_source_cap) {
  const auto from = connection_limiter::source_of(source);
  logger_.debug("Refused a connection from {}: {} TLS handshakes in progress from there.", from, per_source_cap);
  if (const auto r = refusals_.count())
    logger_.info("Connections refused because their source had {} TLS handshakes in progress: {} {}; the latest "
                 "from {}",
                 per_source_cap, r->count, period_of(*r), from);
}

void admission_log::paused(std::size_t pending_handshakes, std::size_t connections) {
  logger_.debug("Not accepting: {} TLS handshakes in progress, {} connections.", pending_handshakes, connections);
  if (const auto r = pauses_.count())
    logger_.warning("Stopped accepting connections at a cap ({} TLS handshakes in progress, {} connections): {} "
                    "times {}",
                    pending_handshakes, connections, r->count, period_of(*r));
}

}  // namespace swpt::session

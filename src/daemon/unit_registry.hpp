#pragma once
// The state of every unit the daemon runs (a client or a drainer of one
// queue of one peer), kept in one place: the units write it as they move
// through their lifecycle (docs/daemon.md "Units"), and the daemon reads
// it for its STATUS= line; a status view and metrics can read it too.
//
// Thread contract: used on the daemon's event loop only.

#include <chrono>
#include <compare>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace swpt::daemon {

enum class unit_kind { client, drainer };
std::string_view to_string(unit_kind k) noexcept;

enum class unit_phase {
  discovered,  // started; waiting for the broker's consumer
  connecting,  // consuming; connecting to one of the peer's servers
  running,     // a client's STOMP connection is up
  standby,     // another consumer (a replica) holds the queue exclusively
  backoff,     // waiting until next_attempt after a failure
  draining,    // a drainer is consuming and answering
  stopping,    // asked to end; finishing what is in flight
  failed,      // the last attempt failed (last_error); a backoff follows
};
std::string_view to_string(unit_phase p) noexcept;

struct unit_key {
  unit_kind kind;
  std::string peer;
  std::string queue;
  friend auto operator<=>(const unit_key&, const unit_key&) = default;
};

struct unit_state {
  unit_phase phase = unit_phase::discovered;
  std::chrono::system_clock::time_point since;  // when the phase began
  // backoff: when the next attempt starts.
  std::optional<std::chrono::system_clock::time_point> next_attempt;
  std::string last_error;  // the last failure (kept until a connection works)
  std::chrono::system_clock::time_point last_error_at;
};

class unit_registry {
 public:
  using clock = std::chrono::system_clock;

  // Enters `phase` (a unit not yet listed is added). `since` changes only
  // when the phase does.
  void set(const unit_key& key, unit_phase phase);
  void backoff(const unit_key& key, clock::time_point next_attempt);
  // Records a failure (phase failed); it stays as last_error.
  void failed(const unit_key& key, std::string error);
  void forget_error(const unit_key& key);
  void remove(const unit_key& key);

  const std::map<unit_key, unit_state>& units() const noexcept { return units_; }
  const unit_state* find(const unit_key& key) const;

  struct tally {
    std::size_t peers = 0;
    std::size_t clients_running = 0, clients_starting = 0, standby = 0, backoff = 0, draining = 0, stopping = 0;
  };
  tally count() const;
  // "12 peers: 11 clients running, 1 in backoff, 0 draining", with the
  // standby, starting and stopping units added when there are any.
  std::string summary() const;

 private:
  std::map<unit_key, unit_state> units_;
};

}  // namespace swpt::daemon

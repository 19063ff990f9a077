#include "daemon/unit_registry.hpp"

#include <fmt/format.h>

#include <set>

namespace swpt::daemon {

std::string_view to_string(unit_kind k) noexcept { return k == unit_kind::client ? "client" : "drainer"; }

std::string_view to_string(unit_phase p) noexcept {
  switch (p) {
    case unit_phase::discovered: return "discovered";
    case unit_phase::connecting: return "connecting";
    case unit_phase::running: return "running";
    case unit_phase::standby: return "standby";
    case unit_phase::backoff: return "backoff";
    case unit_phase::draining: return "draining";
    case unit_phase::stopping: return "stopping";
    case unit_phase::failed: return "failed";
  }
  return "unknown";
}

void unit_registry::set(const unit_key& key, unit_phase phase) {
  auto [it, added] = units_.try_emplace(key);
  auto& s = it->second;
  if (!added && s.phase == phase) return;
  s.phase = phase;
  s.since = clock::now();
  if (phase != unit_phase::backoff) s.next_attempt.reset();
}

void unit_registry::backoff(const unit_key& key, clock::time_point next_attempt) {
  set(key, unit_phase::backoff);
  units_[key].next_attempt = next_attempt;
}

void unit_registry::failed(const unit_key& key, std::string error) {
  set(key, unit_phase::failed);
  auto& s = units_[key];
  s.last_error = std::move(error);
  s.last_error_at = clock::now();
}

void unit_registry::forget_error(const unit_key& key) {
  if (const auto it = units_.find(key); it != units_.end()) it->second.last_error.clear();
}

void unit_registry::remove(const unit_key& key) { units_.erase(key); }

const unit_state* unit_registry::find(const unit_key& key) const {
  const auto it = units_.find(key);
  return it == units_.end() ? nullptr : &it->second;
}

unit_registry::tally unit_registry::count() const {
  tally t;
  std::set<std::string_view> peers;
  for (const auto& [key, s] : units_) {
    peers.insert(key.peer);
    switch (s.phase) {
      case unit_phase::running: ++t.clients_running; break;
      case unit_phase::standby: ++t.standby; break;
      case unit_phase::backoff:
      case unit_phase::failed: ++t.backoff; break;
      case unit_phase::draining: ++t.draining; break;
      case unit_phase::stopping: ++t.stopping; break;
      case unit_phase::discovered:
      case unit_phase::connecting:
        if (key.kind == unit_kind::client) ++t.clients_starting;
        else ++t.draining;
        break;
    }
  }
  t.peers = peers.size();
  return t;
}

std::string unit_registry::summary() const {
  const auto t = count();
  auto text = fmt::format("{} peers: {} clients running, {} in backoff, {} draining", t.peers, t.clients_running,
                          t.backoff, t.draining);
  if (t.clients_starting != 0) text += fmt::format(", {} connecting", t.clients_starting);
  if (t.standby != 0) text += fmt::format(", {} standby", t.standby);
  if (t.stopping != 0) text += fmt::format(", {} stopping", t.stopping);
  return text;
}

}  // namespace swpt::daemon

#pragma once
// One peer's supervisor: runs what the peer's directory asks for (clients
// for an active peer, drainers for a deactivated one, nothing otherwise)
// and nothing else, isolated from every other peer: its failures, broken
// files and slow stops never reach them. Its units are children of its own
// task group. A loop applies the latest view handed over with update();
// views that arrive while it is busy (a slow graceful stop) are coalesced.
//
// Thread contract: the daemon's event loop only.

#include "async/task_group.hpp"
#include "daemon/node_scan.hpp"
#include "daemon/units.hpp"

#include <asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace swpt::daemon {

// What the daemon's servers do for a peer when it changes: forget the
// cached admission, and with `disconnect`, end its connections with ERROR.
using peer_changed = std::function<void(const std::string& id, bool disconnect)>;

class peer_supervisor {
 public:
  peer_supervisor(unit_environment& env, const nodedata::owner_data& owner, std::string id, peer_changed changed);
  ~peer_supervisor();
  peer_supervisor(const peer_supervisor&) = delete;
  peer_supervisor& operator=(const peer_supervisor&) = delete;

  // The peer as the last scan saw it; nullopt: its directory is gone. A
  // view like the one applied last, under the same configuration, with
  // nothing to retry, does not wake the peer's loop: most scans of 1,000
  // peers change nothing (bench/daemon).
  void update(std::optional<peer_view> view);
  // Every unit ends gracefully (bounded by timeouts.shutdown); run() then
  // returns.
  void shutdown();
  // Every unit ends at once.
  void abort();

  // Returns after shutdown(), or once the directory has gone and every
  // unit has ended.
  asio::awaitable<void> run();

 private:
  enum class mode { none, clients, drainers };
  struct target {
    mode wanted = mode::none;
    std::shared_ptr<const peer_files> files;  // for clients and drainers
    std::vector<std::string> queues;
    std::string state;    // "active, 3 queues", "registered", ...
    std::string problem;  // broken: why (logged once)
  };

  target decide(const std::optional<peer_view>& view);
  asio::awaitable<void> apply(const std::optional<peer_view>& view);
  asio::awaitable<void> stop_units();
  void start(const std::string& queue);
  asio::awaitable<void> unit(std::string queue, std::shared_ptr<unit_control> control);
  void report(const target& t);

  unit_environment& env_;
  const nodedata::owner_data& owner_;
  const std::string id_;
  peer_changed changed_;
  log::logger logger_;

  std::optional<peer_view> desired_;
  std::uint64_t updates_ = 0;  // update() calls; the loop compares with what it applied
  // What the last apply() applied the view under; `retry`: it failed, or a
  // unit ended since, and the next view is applied even if it is the same.
  std::shared_ptr<const config> applied_config_;
  bool retry_ = true;
  bool shutdown_ = false;
  asio::steady_timer wake_;  // never expires; cancel() wakes the loop

  mode mode_ = mode::none;
  std::shared_ptr<const peer_files> files_;  // the units read it at each attempt
  std::map<std::string, std::shared_ptr<unit_control>> units_;  // by queue
  std::set<std::string> drained_;  // drainers that stopped at an empty queue
  std::string state_, problem_;    // as last logged
  bool disconnected_ = false;      // the servers were told of its deactivation
  async::task_group tasks_;        // last: its children refer to the members above
};

}  // namespace swpt::daemon

#pragma once
// The reconciler: hands each scan's view of every peer to that peer's
// supervisor (made on first sight, gone once its directory is gone and its
// units have ended), and in the `manage` activation mode declares the
// queues of registered peers and activates them.
//
// Thread contract: the daemon's event loop only.

#include "async/task_group.hpp"
#include "daemon/node_scan.hpp"
#include "daemon/peer_supervisor.hpp"
#include "daemon/units.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace swpt::daemon {

class supervisor {
 public:
  // `activated` is called after ACTIVE was created for a peer (a rescan is
  // then due). `owner` must outlive the supervisor.
  supervisor(unit_environment& env, std::filesystem::path root, const nodedata::owner_data& owner,
             peer_changed changed, std::function<void()> activated);
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  void reconcile(const node_view& view);

  // Every peer's units end gracefully; wait() completes once they have.
  void shutdown();
  void abort();
  asio::awaitable<void> wait();

  std::size_t peer_count() const noexcept { return peers_.size(); }

 private:
  asio::awaitable<void> run_peer(std::string id);
  void activate(const peer_view& peer, int queues);
  asio::awaitable<void> declare_and_activate(std::string id, int queues);

  unit_environment& env_;
  const std::filesystem::path root_;
  const nodedata::owner_data& owner_;
  peer_changed changed_;
  std::function<void()> activated_;
  log::logger logger_{"swpt_stomp.daemon"};
  bool stopping_ = false;

  std::map<std::string, std::unique_ptr<peer_supervisor>, std::less<>> peers_;
  // manage: peers being declared now, the queues already declared for
  // each, and the last failure logged for each (logged once).
  std::set<std::string, std::less<>> declaring_;
  std::map<std::string, int, std::less<>> declared_;
  std::map<std::string, std::string, std::less<>> activation_errors_;
  async::task_group jobs_;
  async::task_group tasks_;  // last: the peers' loops refer to everything above
};

}  // namespace swpt::daemon

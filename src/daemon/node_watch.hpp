#pragma once
// When to scan the node database again: every `interval` (the ground
// truth: on NFS inotify does not see other machines' writes), early when
// inotify sees something change under the database (where it works), and
// at once when asked (SIGHUP).

#include "log/log.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace swpt::daemon {

class node_watcher {
 public:
  using duration = std::chrono::milliseconds;

  // Watches `root`, `root`/peers and, after watch_peers(), the peers'
  // directories. Without inotify (or out of watches) it logs that once and
  // relies on the interval.
  node_watcher(asio::any_io_executor ex, std::filesystem::path root, duration interval,
               log::logger logger = log::logger{"swpt_stomp.watch"});
  ~node_watcher();
  node_watcher(const node_watcher&) = delete;
  node_watcher& operator=(const node_watcher&) = delete;

  // Completes when a scan is due: the interval has passed since the last
  // completion, a change was seen (coalesced over a few milliseconds, so a
  // burst of writes makes one scan), or rescan() was called. Throws
  // operation_aborted after close(). One waiter at a time.
  asio::awaitable<void> due();

  // Asks for a scan now.
  void rescan();

  // The peer directories to watch (relative to peers/), replacing the
  // previous set: called after every scan.
  void watch_peers(const std::vector<std::string>& ids);

  // Stops watching; a waiting due() ends with operation_aborted.
  void close();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace swpt::daemon

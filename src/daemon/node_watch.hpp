#pragma once
// When to scan the node database again: every `interval` (the ground
// truth: on NFS inotify does not see other machines' writes), early when
// inotify sees something change under the database (where it works), and
// at once when asked (SIGHUP).
//
// inotify watches root, root/peers, the peer directories named by
// watch_peers() and their nodeinfo/. A directory that appears in peers/
// (created, or renamed in) and a nodeinfo/ that appears in a watched peer
// directory are watched as soon as the event arrives, before any scan: a
// directory filled file by file is seen while it fills, even before its
// sub-ca.crt makes it a peer. A directory that was already incomplete when
// the watcher started is seen by the interval until the scan reports it.
//
// Thread contract: the watcher, due() and the inotify reads run on the one
// single-threaded executor given; every member function is called there.
// Lifetime: due() and the pending read share the state with the watcher,
// so either may end last; close() (and the destructor) end both.

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
  // completion (or since construction), a change was seen (50 ms after the
  // first event of a burst, so that a burst of writes makes one scan), or
  // rescan() was called. Throws std::system_error(operation_aborted) after
  // close() and when the caller's coroutine is cancelled. One waiter at a
  // time.
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

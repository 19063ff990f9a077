#pragma once
// peer_directory backed by the node database: the server's admission and
// re-checks, with the cache of docs/node-database.md §7. Files are read on a separate
// executor (a thread pool) so that a slow disk or NFS never stalls the
// io_context; the cache itself lives on the caller's executor.

#include "nodedata/database.hpp"
#include "session/interfaces.hpp"

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <map>
#include <string>

namespace swpt::session {

// The peering of the owner with one peer, as message processing needs it.
peer_context make_peer_context(const nodedata::owner_data& owner, const nodedata::peer_data& peer);

class node_directory final : public peer_directory {
 public:
  struct settings {
    std::size_t max_cached_peers = 5000;                     // APP_MAX_CACHED_PEERS
    std::chrono::steady_clock::duration cache_lifetime = std::chrono::seconds{600};  // APP_PEERS_CACHE_SECONDS
  };

  // Reads the owner's data at once (throws nodedata::database_error).
  node_directory(nodedata::database db, asio::any_io_executor file_io, settings s);
  node_directory(nodedata::database db, asio::any_io_executor file_io)
      : node_directory{std::move(db), std::move(file_io), settings{}} {}

  asio::awaitable<std::optional<active_peer>> find_active(std::string node_id) override;

  // Drops a cached answer, so the next lookup reads the files.
  void forget(const std::string& node_id) { cache_.erase(node_id); }

  const nodedata::owner_data& owner() const noexcept { return owner_; }
  const nodedata::database& database() const noexcept { return db_; }

 private:
  struct entry {
    active_peer peer;
    std::chrono::steady_clock::time_point expires;
  };

  nodedata::database db_;
  asio::any_io_executor file_io_;
  settings settings_;
  nodedata::owner_data owner_;
  std::map<std::string, entry, std::less<>> cache_;  // only active peers are cached
};

}  // namespace swpt::session

#pragma once
// What the node database says should run, read from files only
// (docs/node-database.md): the owner, and for every peers/<id>/ that has
// sub-ca.crt its condition, its parsed files and its number of queues.
// The scan is stat-based so that it can run every few seconds over
// thousands of peers on NFS: a peer whose files (names, sizes, mtimes,
// inodes) did not change since the last scan is not read again.

#include "nodedata/database.hpp"
#include "nodedata/owner.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace swpt::daemon {

enum class peer_condition {
  registered,   // sub-ca.crt, not (yet) ACTIVE: nothing runs
  active,       // ACTIVE, no DEACTIVATED, every file parses: clients run
  deactivated,  // DEACTIVATED (wins over ACTIVE), files parse: drainers run
  broken,       // ACTIVE or DEACTIVATED, but a file is missing or does not parse
};

struct peer_view {
  std::string id;
  peer_condition condition = peer_condition::registered;
  // Parsed files: set when active or deactivated.
  std::optional<nodedata::peer_data> data;
  // queues.txt: 1 to 99; 1 when absent. A bad queues.txt makes the peer
  // broken.
  int queues = 1;
  std::string error;  // broken: what is wrong, naming the file
  // Changes whenever a file the clients depend on changed (certificates,
  // nodeinfo/: stomp.toml, updated-at.txt, subnet files), but not for
  // ACTIVE, DEACTIVATED or queues.txt alone: clients restart on a new
  // version.
  std::uint64_t files_version = 0;
};

struct node_view {
  nodedata::owner_data owner;
  std::map<std::string, peer_view, std::less<>> peers;  // by node ID
};

class node_scanner {
 public:
  explicit node_scanner(std::filesystem::path root);

  const std::filesystem::path& root() const noexcept;

  // Scans the database. Throws nodedata::database_error when the owner's
  // files or peers/ cannot be read (the caller keeps its last view).
  node_view scan();

 private:
  struct cached;
  std::filesystem::path root_;
  std::map<std::string, cached, std::less<>> cache_;
};

}  // namespace swpt::daemon

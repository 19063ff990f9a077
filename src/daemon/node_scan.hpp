#pragma once
// What the node database says should run, read from files only
// (docs/node-database.md): the owner, and for every peers/<id>/ that has
// sub-ca.crt its condition, its parsed files and its number of queues.
// The scan is stat-based so that it can run every few seconds over
// thousands of peers on NFS: a peer whose files (names, sizes, mtimes,
// ctimes, inodes) did not change since the last scan is not read again.
//
// Half-written directories (docs/node-database.md §9) are never acted on
// early, because a peer is acted on only once ACTIVE exists and its files
// parse:
//  - A directory renamed into peers/ in one step is seen whole or not at
//    all. Without sub-ca.crt it is not a peer; with sub-ca.crt but no
//    ACTIVE it is registered and nothing of it is read; with ACTIVE it is
//    parsed in the same scan that first sees it.
//  - A directory written file by file, ACTIVE last, is invisible until
//    sub-ca.crt exists, registered (unread) until ACTIVE exists, and then
//    complete. Had ACTIVE come before another file, the peer is broken
//    (naming the missing or unparsable file) until that file is complete:
//    broken runs nothing, and the next scan after the write (inotify, or
//    the interval) reads it again because its stat data changed.
// A file is fingerprinted before it is read, so a write that lands while a
// peer is being read changes the fingerprint the next scan compares with:
// the peer is read again. (A rewrite that keeps a file's size, inode and
// timestamps, i.e. within one tick of the file system's clock, goes
// unnoticed until the file changes again.)

#include "nodedata/database.hpp"
#include "nodedata/database_error.hpp"
#include "nodedata/owner.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Parsed files: set when active or deactivated. Shared, never changed:
  // every scan hands each peer's view on (the scanner's cache, the
  // daemon's last view, the peer's supervisor), and a copy of the
  // certificates for each of 1,000 peers at every scan showed in the idle
  // daemon's CPU and memory (bench/daemon).
  std::shared_ptr<const nodedata::peer_data> data;
  // queues.txt: 1 to 99 in decimal (whitespace around it is fine); 1 when
  // absent. A bad queues.txt makes the peer broken. Read only when active
  // or deactivated.
  int queues = 1;
  std::string error;  // broken: what is wrong, naming the file
  // Changes whenever a file the clients depend on changed (certificates,
  // nodeinfo/: stomp.toml, updated-at.txt, subnet files) or the owner's
  // data changed, but not for ACTIVE, DEACTIVATED or queues.txt alone:
  // clients restart on a new version. Unique within one scanner.
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

  // How many times a peer's files were read (parsed) since construction:
  // an unchanged peer costs stat calls only. A broken peer is read again at
  // every scan (its error may have been a passing one, an NFS hiccup, that
  // no stat data records); a registered one is never read.
  std::size_t parses() const noexcept { return parses_; }

 private:
  // The stat data of one file that matters (followed through symlinks, as
  // Kubernetes mounts swap them), named relative to the peer directory.
  struct file_stamp {
    std::string name;  // "stomp.toml" is "nodeinfo/stomp.toml"
    std::uint64_t size = 0, inode = 0, device = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    friend bool operator==(const file_stamp&, const file_stamp&) = default;
  };
  // A peer directory's fingerprint in two parts: what decides the
  // condition and the queue count, and what the clients read.
  struct fingerprint {
    std::vector<file_stamp> state;  // ACTIVE, DEACTIVATED, queues.txt
    std::vector<file_stamp> files;  // everything else that is read
    friend bool operator==(const fingerprint&, const fingerprint&) = default;
  };
  struct cached {
    fingerprint seen;
    peer_view view;
    // Read again next time even if nothing changed: the read saw another
    // state than the fingerprint (a file came or went in between, and a
    // file created again may carry the old one's stat data).
    bool reread = false;
  };

  // peers/<id>, `peers_dir` being the open peers/.
  std::optional<fingerprint> take_fingerprint(int peers_dir, const std::string& id);
  std::optional<peer_view> read_peer(const std::string& id, const fingerprint& seen);

  std::filesystem::path root_;
  nodedata::database database_;
  std::optional<nodedata::owner_data> owner_;  // as of the last scan
  std::map<std::string, cached, std::less<>> cache_;
  std::uint64_t last_version_ = 0;
  std::size_t parses_ = 0;
  std::vector<char> buffer_ = std::vector<char>(16 * 1024);  // directory listings
};

// Creates peers/<peer_id>/ACTIVE (empty) for the `manage` activation mode,
// after the peer's queues were declared. Atomic (O_CREAT|O_EXCL: it exists
// whole or not at all) and idempotent (an existing ACTIVE is success).
// Throws std::system_error: EINVAL for an ID that is not a node ID (never
// used in a path), the open's error otherwise (ENOENT: no such peer
// directory).
void mark_active(const std::filesystem::path& root, std::string_view peer_id);

}  // namespace swpt::daemon

#pragma once
// The node database directory (docs/node-database.md): the owner's own files at the
// root and one peers/<id>/ directory per peer. Nothing is cached here; every
// call reads the files afresh, so callers decide how long a result is good.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node_type.hpp"
#include "core/subnet.hpp"
#include "nodedata/owner.hpp"
#include "nodedata/stomp_manifest.hpp"

namespace swpt::nodedata {

// sub-ca.crt present is "registered" (the directory is complete); ACTIVE
// means the broker objects exist; DEACTIVATED is final and wins over ACTIVE.
enum class peer_state { registered, active, deactivated };

struct peer_data {
  std::string node_id;
  node_type type;
  peer_state state;
  std::string root_ca_pem;  // first PEM block of root-ca.crt
  std::string sub_ca_pem;   // first PEM block of sub-ca.crt
  stomp_manifest manifest;  // ${NODE_ID} replaced by the owner's node ID
  subnet creditors;         // the IDs this peer may send messages about
  subnet debtors;
};

class database {
 public:
  explicit database(std::filesystem::path root);

  const std::filesystem::path& root() const noexcept { return root_; }

  // Throws database_error.
  owner_data read_owner() const;

  // docs/node-database.md §5.1 in that order. nullopt means "no such peer": an ID that
  // is not 8 or 32 lowercase hex digits (never used in a path, so "../x"
  // cannot escape peers/), no directory, no sub-ca.crt yet, or not active
  // when `active_only`. A sub-ca.crt without a PEM block, a missing or
  // malformed file of a registered peer, or a peer type that does not fit
  // the owner throws database_error.
  std::optional<peer_data> find_peer(std::string_view peer_id, bool active_only) const;

  // Every peers/<id> (with a node-ID-shaped name) that has sub-ca.crt, with
  // its state, sorted by ID. Existence checks only, nothing is parsed, so a
  // watcher can call it often. Throws database_error if peers/ cannot be
  // listed (including when it does not exist: init-ca always creates it).
  std::vector<std::pair<std::string, peer_state>> list_peers() const;

 private:
  std::filesystem::path root_;
};

}  // namespace swpt::nodedata

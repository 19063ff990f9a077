#include "nodedata/database.hpp"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "nodedata/database_error.hpp"
#include "nodedata/node_id.hpp"
#include "nodedata/one_line_file.hpp"
#include "nodedata/pem.hpp"
#include "nodedata/peer_subnets.hpp"
#include "nodedata/text_file.hpp"

namespace swpt::nodedata {
namespace {

using std::filesystem::path;

peer_state read_peer_state(const path& peer_dir) {
  if (entry_exists(peer_dir / "DEACTIVATED")) return peer_state::deactivated;
  if (entry_exists(peer_dir / "ACTIVE")) return peer_state::active;
  return peer_state::registered;
}

// Not in the original, which accepts e.g. an 8-digit CA directory: a
// directory whose name does not fit its nodetype.txt is corrupt, and a CA
// owner derives an AA peer's debtors subnet from that very name.
node_type read_peer_type(const path& peer_dir, std::string_view peer_id) {
  const path file = peer_dir / "nodetype.txt";
  const node_type type = read_node_type_file(file);
  if (!is_node_id_of(type, peer_id))
    throw database_error{file, fmt::format("peer type {} does not fit node ID {}", quote(node_type_name(type)),
                                           quote(peer_id))};
  return type;
}

// Step 6 of §5.1, in its order.
peer_data read_registered_peer(const path& root, const path& peer_dir, std::string_view peer_id,
                               peer_state state, std::string sub_ca_pem) {
  std::string root_ca_pem = read_pem_file(peer_dir / "root-ca.crt");
  const node_type type = read_peer_type(peer_dir, peer_id);
  const owner_data owner = read_owner_data(root);
  const path manifest_file = peer_dir / "nodeinfo" / "stomp.toml";
  stomp_manifest manifest = parse_stomp_manifest(read_text_file(manifest_file), owner.node_id, manifest_file);
  const peer_subnets subnets = read_peer_subnets(owner, type, peer_id, peer_dir);
  return peer_data{
      .node_id = std::string{peer_id},
      .type = type,
      .state = state,
      .root_ca_pem = std::move(root_ca_pem),
      .sub_ca_pem = std::move(sub_ca_pem),
      .manifest = std::move(manifest),
      .creditors = subnets.creditors,
      .debtors = subnets.debtors,
  };
}

}  // namespace

database::database(std::filesystem::path root) : root_{std::move(root)} {}

owner_data database::read_owner() const { return read_owner_data(root_); }

std::optional<peer_data> database::find_peer(std::string_view peer_id, bool active_only) const {
  if (!is_node_id(peer_id)) return std::nullopt;
  const path peer_dir = root_ / "peers" / std::string{peer_id};
  if (!directory_exists(peer_dir)) return std::nullopt;
  // sub-ca.crt is written last by register-peer: without it the directory
  // may still be incomplete. Once present, it must be a certificate.
  const path sub_ca_file = peer_dir / "sub-ca.crt";
  if (!entry_exists(sub_ca_file)) return std::nullopt;
  std::string sub_ca_pem = read_pem_file(sub_ca_file);
  const peer_state state = read_peer_state(peer_dir);
  if (active_only && state != peer_state::active) return std::nullopt;
  return read_registered_peer(root_, peer_dir, peer_id, state, std::move(sub_ca_pem));
}

std::vector<std::pair<std::string, peer_state>> database::list_peers() const {
  const path peers_dir = root_ / "peers";
  std::error_code ec;
  std::filesystem::directory_iterator it{peers_dir, ec};
  std::vector<std::pair<std::string, peer_state>> peers;
  for (; !ec && it != std::filesystem::directory_iterator{}; it.increment(ec)) {
    std::string id = it->path().filename().string();
    if (!is_node_id(id) || !directory_exists(it->path()) || !entry_exists(it->path() / "sub-ca.crt")) continue;
    peers.emplace_back(std::move(id), read_peer_state(it->path()));
  }
  if (ec) throw database_error{peers_dir, "cannot list directory: " + ec.message()};
  std::ranges::sort(peers);
  return peers;
}

}  // namespace swpt::nodedata

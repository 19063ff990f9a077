#include "session/node_directory.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

namespace swpt::session {

peer_context make_peer_context(const nodedata::owner_data& owner, const nodedata::peer_data& peer) {
  return {owner.type, peer.type, owner.creditors, owner.debtors, peer.creditors, peer.debtors, peer.node_id};
}

node_directory::node_directory(nodedata::database db, asio::any_io_executor file_io, settings s)
    : db_{std::move(db)}, file_io_{std::move(file_io)}, settings_{s}, owner_{db_.read_owner()} {}

asio::awaitable<std::optional<active_peer>> node_directory::find_active(std::string node_id) {
  const auto now = std::chrono::steady_clock::now();
  if (const auto it = cache_.find(node_id); it != cache_.end()) {
    if (now < it->second.expires) co_return it->second.peer;
    cache_.erase(it);
  }

  // Named: g++ 12 destroys the captures of a closure made in a co_await's
  // full-expression twice (harmless for these, not for a copy).
  auto read = [this, &node_id]() -> asio::awaitable<std::optional<nodedata::peer_data>> {
    co_return db_.find_peer(node_id, /*active_only=*/true);
  };
  auto peer = co_await asio::co_spawn(file_io_, std::move(read), asio::use_awaitable);
  if (!peer) co_return std::nullopt;

  active_peer found{make_peer_context(owner_, *peer), std::move(peer->root_ca_pem)};
  // Full: forget the entry closest to expiry (the oldest), not the newest as
  // the original does.
  if (cache_.size() >= settings_.max_cached_peers && !cache_.empty())
    cache_.erase(std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    }));
  if (settings_.max_cached_peers > 0) cache_[node_id] = entry{found, now + settings_.cache_lifetime};
  co_return found;
}

}  // namespace swpt::session

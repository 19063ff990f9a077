#include "session/connection_limiter.hpp"

#include <utility>

namespace swpt::session {

connection_limiter::connection_limiter(connection_caps caps, std::function<void()> on_release)
    : caps_{caps}, on_release_{std::move(on_release)} {}

bool connection_limiter::accepting() const noexcept {
  return handshakes_ < caps_.max_pending_handshakes && connections_ < caps_.max_connections;
}

std::optional<connection_limiter::slot> connection_limiter::admit(const asio::ip::address& source) {
  auto key = source_of(source);
  auto& count = handshakes_by_source_[key];
  if (count >= caps_.max_pending_handshakes_per_source) {
    if (count == 0) handshakes_by_source_.erase(key);  // a cap of 0 admits no one
    return std::nullopt;
  }
  ++count;
  ++handshakes_;
  ++connections_;
  return slot{*this, std::move(key)};
}

std::size_t connection_limiter::pending_handshakes_from(const asio::ip::address& source) const {
  const auto it = handshakes_by_source_.find(source_of(source));
  return it == handshakes_by_source_.end() ? 0 : it->second;
}

std::string connection_limiter::source_of(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio::ip::address_v6{bytes}.to_string() + "/64";
}

void connection_limiter::end_handshake(const std::string& source) {
  --handshakes_;
  const auto it = handshakes_by_source_.find(source);
  if (--it->second == 0) handshakes_by_source_.erase(it);
  if (on_release_) on_release_();
}

void connection_limiter::end_connection() {
  --connections_;
  if (on_release_) on_release_();
}

connection_limiter::slot::slot(slot&& other) noexcept
    : owner_{std::exchange(other.owner_, nullptr)},
      source_{std::move(other.source_)},
      handshaking_{other.handshaking_} {}

connection_limiter::slot::~slot() {
  if (owner_ == nullptr) return;
  handshake_done();
  owner_->end_connection();
}

void connection_limiter::slot::handshake_done() noexcept {
  if (owner_ == nullptr || !std::exchange(handshaking_, false)) return;
  owner_->end_handshake(source_);
}

}  // namespace swpt::session

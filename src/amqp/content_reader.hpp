#pragma once
// Reassembles a message that arrives as a method frame (basic.deliver or
// basic.return), a content header and body frames, inside a worker's frame
// loop: the frames of other channels may come in between, and nothing
// waits for the rest.

#include "amqp/connection.hpp"

#include <amqp.h>

#include <optional>

namespace swpt::amqp {

class content_reader {
 public:
  // A basic.deliver or basic.return frame starts a message.
  void start(const amqp_frame_t& method) {
    current_.emplace();
    if (method.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
      const auto* m = static_cast<const amqp_basic_deliver_t*>(method.payload.method.decoded);
      current_->delivery_tag = m->delivery_tag;
      current_->exchange = text(m->exchange);
      current_->routing_key = text(m->routing_key);
    } else {
      const auto* m = static_cast<const amqp_basic_return_t*>(method.payload.method.decoded);
      current_->exchange = text(m->exchange);
      current_->routing_key = text(m->routing_key);
    }
    expected_ = 0;
    header_seen_ = false;
  }

  // A header or body frame; the complete message once its last byte came.
  std::optional<content> add(const amqp_frame_t& f) {
    if (!current_) return std::nullopt;
    if (f.frame_type == AMQP_FRAME_HEADER) {
      const auto* p = static_cast<const amqp_basic_properties_t*>(f.payload.properties.decoded);
      if ((p->_flags & AMQP_BASIC_TYPE_FLAG) != 0) current_->type = text(p->type);
      if ((p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG) != 0) current_->content_type = text(p->content_type);
      expected_ = f.payload.properties.body_size;
      current_->body.reserve(expected_);
      header_seen_ = true;
    } else if (f.frame_type == AMQP_FRAME_BODY) {
      current_->body.append(static_cast<const char*>(f.payload.body_fragment.bytes), f.payload.body_fragment.len);
    }
    if (!header_seen_ || current_->body.size() < expected_) return std::nullopt;
    std::optional<content> done{std::move(current_)};
    current_.reset();
    return done;
  }

  void reset() noexcept { current_.reset(); }

 private:
  std::optional<content> current_;
  std::uint64_t expected_ = 0;
  bool header_seen_ = false;
};

}  // namespace swpt::amqp

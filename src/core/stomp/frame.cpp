#include "core/stomp/frame.hpp"

namespace swpt::stomp {

const std::string* frame::header(std::string_view key) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::string_view> frame_view::header(std::string_view key) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == key) return v;
  return std::nullopt;
}

frame frame_view::to_frame() const {
  frame f{std::string{command}, {}, std::string{body}};
  f.headers.reserve(headers.size());
  for (const auto& [k, v] : headers) f.headers.emplace_back(k, v);
  return f;
}

}  // namespace swpt::stomp

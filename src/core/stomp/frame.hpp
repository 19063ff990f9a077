#pragma once
// A STOMP frame in two forms: `frame` owns its text; `frame_view` borrows it
// (from the parser's input and scratch storage) so that receiving a frame
// costs no allocation.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::stomp {

// A header as a (key, value) pair of unescaped text.
using header_view = std::pair<std::string_view, std::string_view>;

struct frame {
  std::string command;
  // In wire order; a repeated key is kept every time it occurs.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header named `key` (STOMP 1.2: the first
  // occurrence wins), or nullptr.
  const std::string* header(std::string_view key) const noexcept;

  friend bool operator==(const frame&, const frame&) = default;
};

struct frame_view {
  std::string_view command;
  std::span<const header_view> headers;  // in wire order, repeats kept
  std::string_view body;

  // The value of the first header named `key`, or nullopt.
  std::optional<std::string_view> header(std::string_view key) const noexcept;

  // A copy that outlives the parser call that produced this view.
  frame to_frame() const;
};

}  // namespace swpt::stomp

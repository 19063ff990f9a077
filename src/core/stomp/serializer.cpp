#include "core/stomp/serializer.hpp"

#include "core/stomp/escape.hpp"

#include <fmt/format.h>

namespace swpt::stomp {
namespace {

constexpr std::string_view content_length_key = "content-length";

void append_header(std::string& out, std::string_view key, std::string_view value) {
  append_escaped(out, key);
  out.push_back(':');
  append_escaped(out, value);
  out.push_back('\n');
}

// Everything after the given headers. An explicit content-length is left
// alone: the parser treats it as a minimum, so it may honestly be smaller
// than the body, and we must not contradict it with a second one.
void append_tail(std::string& out, bool has_content_length, std::string_view body) {
  if (!body.empty() && !has_content_length)
    fmt::format_to(std::back_inserter(out), "{}:{}\n", content_length_key, body.size());
  out.push_back('\n');
  out.append(body);
  out.push_back('\0');
}

// Both header containers hold pairs of string-likes; one loop serves both.
template <class Headers>
void append_frame(std::string& out, std::string_view command, const Headers& headers,
                  std::string_view body) {
  out.append(command);
  out.push_back('\n');
  bool has_content_length = false;
  for (const auto& [key, value] : headers) {
    append_header(out, key, value);
    has_content_length = has_content_length || key == content_length_key;
  }
  append_tail(out, has_content_length, body);
}

}  // namespace

void serialize_frame(std::string& out, std::string_view command,
                     std::span<const header_view> headers, std::string_view body) {
  append_frame(out, command, headers, body);
}

void serialize_frame(std::string& out, const frame& f) {
  append_frame(out, f.command, f.headers, f.body);
}

std::string serialize(const frame& f) {
  std::string out;
  serialize_frame(out, f);
  return out;
}

}  // namespace swpt::stomp

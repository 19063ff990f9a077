#pragma once
// STOMP 1.2 frame serialization: the bytes we send, LF line ends only.

#include "core/stomp/frame.hpp"

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace swpt::stomp {

// Appends COMMAND LF, each header as escape(key):escape(value) LF in the given
// order, `content-length:<size>` LF when the body is not empty and no
// content-length header was given, LF, the body and NUL. `command` must be
// 1..50 letters A-Z: it is a constant of the caller, so it is not checked.
// Appending lets a writer batch frames into one buffer.
void serialize_frame(std::string& out, std::string_view command,
                     std::span<const header_view> headers, std::string_view body);

// The same, for a few headers written in place:
// serialize_frame(out, "RECEIPT", {{"receipt-id", id}}, {}).
inline void serialize_frame(std::string& out, std::string_view command,
                            std::initializer_list<header_view> headers, std::string_view body) {
  serialize_frame(out, command, std::span<const header_view>{headers.begin(), headers.size()}, body);
}

// Appends an owned frame, as above.
void serialize_frame(std::string& out, const frame& f);

// The bytes of one frame.
std::string serialize(const frame& f);

}  // namespace swpt::stomp

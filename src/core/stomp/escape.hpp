#pragma once
// STOMP 1.2 header escaping. Applied to every frame type, CONNECT and
// CONNECTED included: the original does so, and our peers are its clones.

#include <string>
#include <string_view>

namespace swpt::stomp {

// Appends `text` with CR, LF, ':' and '\' written as \r, \n, \c and \\.
void append_escaped(std::string& out, std::string_view text);

// Appends `text` with the escapes \r \n \c \\ resolved. Returns false for any
// other backslash sequence (the caller reports errc::invalid_header); `out`
// then holds a partial result. A lone '\' as the last byte is kept literally,
// as the original does: there is nothing after it to make a sequence.
bool append_unescaped(std::string& out, std::string_view text);

}  // namespace swpt::stomp

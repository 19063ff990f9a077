#pragma once
// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences. This is
// what the original's decoder accepts, so the same headers pass both.

#include <string_view>

namespace swpt::stomp {

bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace swpt::stomp

#pragma once
// Why a STOMP byte stream was rejected. The messages are exactly the texts the
// server puts in its ERROR frame before closing, so a session can send
// `ec.message()` without a translation table.

#include <string>
#include <system_error>

namespace swpt::stomp {

enum class errc {
  invalid_frame = 1,         // the bytes break the frame grammar or a count/length limit
  invalid_header,            // a header uses a backslash escape other than \r \n \c \\.
  utf8_decode_error,         // a header key or value is not strict UTF-8
  header_too_big,            // the header lines exceed parser_limits::max_header_block
  content_length_too_large,  // content-length exceeds parser_limits::max_body
  body_too_large,            // no terminating NUL within parser_limits::max_body bytes
};

// The category of errc; its name() is "stomp".
const std::error_category& stomp_category() noexcept;

std::error_code make_error_code(errc e) noexcept;

}  // namespace swpt::stomp

template <>
struct std::is_error_code_enum<swpt::stomp::errc> : std::true_type {};

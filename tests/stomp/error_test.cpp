#include "core/stomp/error.hpp"

#include <catch2/catch.hpp>

using swpt::stomp::errc;

TEST_CASE("error messages are the ERROR-frame texts", "[stomp][error]") {
  const std::pair<errc, const char*> rows[] = {
      {errc::invalid_frame, "Invalid frame."},
      {errc::invalid_header, "Invalid header."},
      {errc::utf8_decode_error, "UTF-8 decode error."},
      {errc::header_too_big, "The frame header is too big."},
      {errc::content_length_too_large, "Content-length is too large."},
      {errc::body_too_large, "The body is too large."},
  };
  for (const auto& [e, text] : rows) {
    const std::error_code ec = e;  // through is_error_code_enum and make_error_code
    CHECK(ec.message() == text);
    CHECK(ec.category().name() == std::string{"stomp"});
    CHECK(&ec.category() == &swpt::stomp::stomp_category());
    CHECK(ec == e);
    CHECK(static_cast<bool>(ec));
  }
  CHECK(std::error_code{errc::invalid_frame} != errc::invalid_header);
  CHECK(static_cast<int>(errc::invalid_frame) == 1);
}

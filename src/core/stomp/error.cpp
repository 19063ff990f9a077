#include "core/stomp/error.hpp"

namespace swpt::stomp {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "stomp"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_frame: return "Invalid frame.";
      case errc::invalid_header: return "Invalid header.";
      case errc::utf8_decode_error: return "UTF-8 decode error.";
      case errc::header_too_big: return "The frame header is too big.";
      case errc::content_length_too_large: return "Content-length is too large.";
      case errc::body_too_large: return "The body is too large.";
    }
    return "Unknown STOMP error.";
  }
};

}  // namespace

const std::error_category& stomp_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), stomp_category()};
}

}  // namespace swpt::stomp

#include "amqp/errc.hpp"

#include <string>

namespace swpt::amqp {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "amqp"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::nacked: return "the broker rejected the message (basic.nack)";
      case errc::returned: return "the message could not be routed (basic.return)";
      case errc::confirmation_timeout: return "the broker did not confirm the message in time";
      case errc::connection_lost: return "the broker connection was lost before the confirmation";
      case errc::not_connected: return "not connected to the broker";
      case errc::blocked: return "the broker blocks publishing (resource alarm)";
      case errc::stopped: return "the publisher is shutting down";
    }
    return "unknown AMQP error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace swpt::amqp

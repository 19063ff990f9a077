#pragma once
// Why a published message will never be confirmed. The STOMP server turns
// every one of them into `Internal server error.` for the peer; the log
// line says which it was.

#include <system_error>

namespace swpt::amqp {

enum class errc {
  nacked = 1,            // basic.nack: the broker could not store it
  returned,              // basic.return: no queue is bound for its routing key
  confirmation_timeout,  // no basic.ack within APP_RMQ_CONFIRMATION_TIMEOUT_SECONDS
  connection_lost,       // the connection ended before the confirmation came
  not_connected,         // the broker is unreachable (reconnecting)
  blocked,               // the broker blocks publishers (memory or disk alarm)
  stopped,               // the publisher is shutting down
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace swpt::amqp

template <>
struct std::is_error_code_enum<swpt::amqp::errc> : std::true_type {};

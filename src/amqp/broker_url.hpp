#pragma once
// The broker URL of PROTOCOL_BROKER_URL: amqp://user:password@host:port/vhost
// (amqps:// for TLS). Parsed once at start-up; the password never reaches a
// log line (masked()).

#include <cstdint>
#include <string>
#include <string_view>

namespace swpt::amqp {

struct broker_url {
  std::string host = "localhost";
  std::uint16_t port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  bool tls = false;

  // Throws std::invalid_argument naming what is wrong (never the password).
  static broker_url parse(std::string_view url);

  // The URL for log lines: amqp://guest:***@localhost:5672/ (no password).
  std::string masked() const;
};

}  // namespace swpt::amqp

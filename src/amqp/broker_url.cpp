#include "amqp/broker_url.hpp"

#include <amqp.h>
#include <fmt/format.h>

#include <stdexcept>
#include <vector>

namespace swpt::amqp {

broker_url broker_url::parse(std::string_view url) {
  // amqp_parse_url decodes in place: give it a private, terminated copy.
  std::vector<char> text(url.begin(), url.end());
  text.push_back('\0');
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK) {
    // The URL may carry a password: name the scheme and shape only.
    throw std::invalid_argument{
        "invalid broker URL: expected amqp://user:password@host:port/vhost or amqps://..."};
  }
  if (info.port <= 0 || info.port > 65535) throw std::invalid_argument{"invalid broker URL: bad port"};
  broker_url result;
  result.host = info.host;
  result.port = static_cast<std::uint16_t>(info.port);
  result.user = info.user;
  result.password = info.password;
  // "amqp://host/" names no vhost: the default one, as other AMQP clients read it.
  result.vhost = *info.vhost != '\0' ? info.vhost : "/";
  result.tls = info.ssl != 0;
  return result;
}

std::string broker_url::masked() const {
  // The default vhost "/" is the empty path; others are written as given.
  return fmt::format("{}://{}:***@{}:{}/{}", tls ? "amqps" : "amqp", user, host, port, vhost == "/" ? "" : vhost);
}

}  // namespace swpt::amqp

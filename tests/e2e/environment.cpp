#include "environment.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace swpt::e2e {

settings& config() {
  static settings s;
  return s;
}

std::uint16_t url_port(const std::string& url) {
  const auto at = url.rfind('@');
  const auto host = at == std::string::npos ? url.find("://") + 3 : at + 1;
  const auto colon = url.find(':', host);
  if (colon == std::string::npos) return 5672;
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
}

std::vector<std::uint16_t> free_ports(std::size_t count) {
  std::vector<int> sockets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockets.push_back(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : sockets) ::close(fd);  // all held at once, so the ports differ
  return ports;
}

rabbitmq_node rabbitmq_node::test_broker() { return {config().broker_node, url_port(config().broker_url)}; }

run_result rabbitmq_node::script(const std::vector<std::string>& args, duration limit) const {
  static std::atomic<int> counter{0};
  const auto log = config().log_dir / fmt::format("rabbitmq-{}-{}.log", args.front(), ++counter);
  run_result r = run(config().rabbitmq_script, args, {}, log, limit);
  if (!r.status.exited_with(0))
    throw std::runtime_error(fmt::format("scripts/rabbitmq {} failed ({}):\n{}", fmt::join(args, " "),
                                         r.status.to_string(), r.output));
  return r;
}

std::string rabbitmq_node::fresh_vhost(const std::string& vhost) const {
  const auto port = std::to_string(port_);
  script({"delete-vhost", name_, port, vhost});
  std::string url = script({"vhost", name_, port, vhost}).output;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  if (url != fmt::format("amqp://guest:guest@127.0.0.1:{}/{}", port_, vhost))
    throw std::runtime_error(fmt::format("scripts/rabbitmq vhost printed {:?}", url));
  return url;
}

std::map<std::string, std::uint64_t> rabbitmq_node::queue_depths(const std::string& vhost) const {
  std::istringstream lines{script({"queues", name_, std::to_string(port_), vhost}).output};
  std::map<std::string, std::uint64_t> out;
  std::string name;
  std::uint64_t messages = 0;
  while (lines >> name >> messages) out[name] = messages;
  return out;
}

std::string rabbitmq_node::url() const { return fmt::format("amqp://guest:guest@127.0.0.1:{}", port_); }

std::string rabbitmq_node::ctl(std::vector<std::string> args) const {
  args.insert(args.begin(), {"ctl", name_, std::to_string(port_)});
  return script(args).output;
}

private_broker::private_broker(std::string name, std::uint16_t port) : rabbitmq_node{std::move(name), port} {
  start();
}

private_broker::~private_broker() {
  try {
    stop();
  } catch (const std::exception&) {
    // the node may already be gone; nothing else to do in a destructor
  }
}

void private_broker::start() const { script({"start", name(), std::to_string(port())}); }

void private_broker::stop() const { script({"stop", name(), std::to_string(port())}); }

}  // namespace swpt::e2e

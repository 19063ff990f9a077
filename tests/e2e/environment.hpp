#pragma once
// What the end-to-end tests get from outside: the test broker
// (SWPT_TEST_BROKER_URL, started by scripts/test), scripts/rabbitmq to make
// vhosts and private brokers with, and the programs under test.

#include "process.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace swpt::e2e {

struct settings {
  std::string broker_url;                 // SWPT_TEST_BROKER_URL
  std::string broker_node = "swpt-test";  // its scripts/rabbitmq NAME (SWPT_TEST_BROKER_NODE)
  std::filesystem::path rabbitmq_script;  // scripts/rabbitmq
  std::filesystem::path swpt_stomp;       // the program under test (empty in the tools suite)
  std::filesystem::path log_dir;          // where the scripts' output goes
};

// Filled by the test runner's main before any test runs.
settings& config();

// "amqp://guest:guest@127.0.0.1:5682[/vhost]" -> 5682.
std::uint16_t url_port(const std::string& url);

// Ports free on 127.0.0.1 now (bound once, then released).
std::vector<std::uint16_t> free_ports(std::size_t count);

// A broker node run by scripts/rabbitmq: the test broker, or a private one.
class rabbitmq_node {
 public:
  rabbitmq_node(std::string name, std::uint16_t port) : name_{std::move(name)}, port_{port} {}
  static rabbitmq_node test_broker();  // the one of config()

  // An empty vhost (a leftover of an earlier run is deleted first) in
  // which guest may do everything; returns its AMQP URL.
  std::string fresh_vhost(const std::string& vhost) const;
  // Queue name -> messages (ready + unacknowledged), from rabbitmqctl.
  std::map<std::string, std::uint64_t> queue_depths(const std::string& vhost) const;
  std::string url() const;  // of the default vhost
  // rabbitmqctl ARGS on the node (scripts/rabbitmq ctl); what it printed.
  // Throws when it fails.
  std::string ctl(std::vector<std::string> args) const;

  const std::string& name() const noexcept { return name_; }
  std::uint16_t port() const noexcept { return port_; }

 protected:
  run_result script(const std::vector<std::string>& args, duration limit = 150s) const;

 private:
  std::string name_;
  std::uint16_t port_;
};

// A private broker for tests that stop and start it; stopped on destruction.
class private_broker : public rabbitmq_node {
 public:
  private_broker(std::string name, std::uint16_t port);  // starts it (about 10 s)
  ~private_broker();
  private_broker(const private_broker&) = delete;
  private_broker& operator=(const private_broker&) = delete;

  void start() const;  // waits until it accepts connections
  void stop() const;   // waits until the node has gone
};

}  // namespace swpt::e2e

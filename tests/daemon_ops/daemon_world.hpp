#pragma once
// The daemon tests' world: the e2e scenario's trio with only the AA and the
// CA peers of each other (the DA's activation is taken back, so no unit
// runs for it), each direction's queue declared as configure-queue does
// (`peer.<peer-id>.0`, the daemon's default queue name), each node's
// inbound exchange bound to the test queue; and `swpt-stomp run` processes
// configured by a YAML file and watched through a notification socket of
// their own.

#include "flow.hpp"
#include "notify_socket.hpp"
#include "scenario.hpp"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace swpt::e2e {

// What a test varies in a daemon's configuration file; the rest is what
// every daemon test wants (short rescans and back-offs, so that bounded
// waits stay short).
struct daemon_settings {
  std::string log_level = "info";
  std::size_t client_buffer = 100;
  std::vector<std::uint16_t> ports{};  // listeners on 127.0.0.1; empty: the node's own port
};

// The configuration file of node `n` (broker vhost `broker_url`) as YAML.
std::string daemon_yaml(const fixtures::node& n, const std::string& broker_url, const daemon_settings& d);

// One `swpt-stomp run --config FILE` process of a node.
class daemon_process {
 public:
  // Writes <dir>/<label>.yaml and starts the daemon with NOTIFY_SOCKET set
  // to <dir>/<label>.notify; does not wait.
  daemon_process(scenario& s, const fixtures::node& n, std::string label, daemon_settings d = {});

  // READY=1 arrived within `limit` (after `from`, an index of notify().received()).
  bool wait_ready(duration limit = 30s, std::size_t from = 0);
  // The same configuration file, rewritten (atomically) with other settings
  // or with a text of the test's own.
  void write_config(const daemon_settings& d);
  void write_config_text(const std::string& yaml);
  // Starts the process again (after it ended) with the same file and socket.
  void restart();

  child_process& process() noexcept { return *proc_; }
  notify_socket& notify() noexcept { return notify_; }
  const std::filesystem::path& config_path() const noexcept { return config_; }
  const fixtures::node& node() const noexcept { return node_; }
  // The process's command line and last log lines, and the notifications
  // (taking in those that have arrived).
  std::string describe();

 private:
  scenario& s_;
  const fixtures::node& node_;
  std::string label_;
  std::filesystem::path config_;
  notify_socket notify_;
  std::unique_ptr<child_process> proc_;
};

// The AA and the CA of the scenario, peers of each other and nothing else;
// `peer.<id>.0` configured in both vhosts, both inbound exchanges bound.
struct pair_world {
  explicit pair_world(const std::string& name);

  scenario s;
  const std::string ca_queue;  // in the CA's vhost, for the AA: peer.1234abcd.0
  const std::string aa_queue;  // in the AA's vhost, for the CA: peer.<ca-id>.0
};

// What arrives in a node's test queue (received_queue), by message body:
// the bodies differ from message to message in every plan.
struct sink {
  sink(scenario& s, const fixtures::node& n) : url{s.broker_url(n)} {}

  // Takes what has arrived, at most `limit`, until `done` holds.
  bool take(const std::function<bool()>& done, duration limit);
  // Until `count` distinct messages have come.
  bool take_distinct(std::size_t count, duration limit) {
    return take([&] { return distinct() >= count; }, limit);
  }
  std::size_t distinct();
  // Everything the test queue still holds, taken without waiting.
  void take_rest();
  bool has_all(const std::vector<planned>& plan);

  std::string url;
  std::vector<message> got{};
  std::set<std::string> bodies{};
  std::size_t counted = 0;  // got[0, counted) is in bodies
};

// Consumers of a queue in the node's vhost on the test broker (rabbitmqctl).
std::uint64_t queue_consumers(scenario& s, const fixtures::node& n, const std::string& queue);

// Publishes a plan to the sending node's main exchange for the peer.
void publish(scenario& s, const fixtures::node& from, const fixtures::node& to, const std::vector<planned>& plan);

}  // namespace swpt::e2e

// A check whose failure message shows `show` (the daemons' logs and
// notifications, read only when the check fails).
#define DAEMON_REQUIRE(cond, show)            \
  do {                                        \
    if (!(cond)) FAIL(#cond << "\n" << (show)); \
  } while (false)
#define DAEMON_CHECK(cond, show)                   \
  do {                                             \
    if (!(cond)) FAIL_CHECK(#cond << "\n" << (show)); \
  } while (false)

#pragma once
// One end-to-end test's world: the fixture trio (AA 1234abcd, a CA, a DA;
// every direction ACTIVE) under a fresh directory with free ports, a fresh
// broker vhost per node, and swpt-stomp processes run with the environment
// variables a deployment gives them.

#include "broker.hpp"
#include "environment.hpp"
#include "fixtures.hpp"
#include "process.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace swpt::e2e {

class scenario {
 public:
  // `name` is short and unique among the tests: vhosts are e2e-<name>-<node>.
  explicit scenario(std::string name);

  fixtures::network& net() noexcept { return trio_.net; }
  fixtures::node& aa() noexcept { return trio_.aa; }
  fixtures::node& ca() noexcept { return trio_.ca; }
  fixtures::node& da() noexcept { return trio_.da; }
  // Another node in the same network (e.g. a second AA), on a free port.
  fixtures::node& add_node(const std::string& node_name, node_type type, std::string aa_id = "");

  // Puts the node's vhost on another broker (before its first use).
  void place(const fixtures::node& n, const rabbitmq_node& broker);
  // The node's vhost (made fresh on first use) and its AMQP URL.
  const std::string& broker_url(const fixtures::node& n);
  std::string vhost(const fixtures::node& n) const;
  // Messages (ready + unacknowledged) of a queue in the node's vhost; 0 when
  // the queue does not exist.
  std::uint64_t queue_depth(const fixtures::node& n, const std::string& queue);

  // The variables swpt-stomp reads, for node `n`.
  environment env(const fixtures::node& n);
  // `swpt-stomp <args...>` as node `n`; output in logs/<n>-<args[0]>.log.
  std::unique_ptr<child_process> start(const fixtures::node& n, const std::vector<std::string>& args,
                                       const environment& extra = {});
  // The STOMP server of `n`, once it logs `Started STOMP server at port <p>.`
  std::unique_ptr<child_process> start_server(const fixtures::node& n, const environment& extra = {});
  std::unique_ptr<child_process> start_client(const fixtures::node& owner, const fixtures::node& peer,
                                              const std::string& queue, const environment& extra = {});
  // A command that ends by itself (configure-queue, a failing drainer).
  run_result run(const fixtures::node& n, const std::vector<std::string>& args, duration limit = 60s);
  // configure-queue that must succeed (throws with its output otherwise).
  void configure_queue(const fixtures::node& owner, const fixtures::node& peer, const std::string& queue);

  const std::filesystem::path& dir() const noexcept { return dir_.path(); }

 private:
  std::string name_;
  fixtures::temp_dir dir_;
  fixtures::trio trio_;
  std::map<std::string, rabbitmq_node> brokers_;  // node name -> where its vhost is
  std::map<std::string, std::string> urls_;      // node name -> vhost URL, once made
  int runs_ = 0;
};

}  // namespace swpt::e2e

#include "scenario.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace swpt::e2e {

namespace {

fixtures::trio make_trio_on_free_ports(const std::filesystem::path& base) {
  const auto ports = free_ports(3);
  return fixtures::make_trio(base, fixtures::trio_ports{ports[0], ports[1], ports[2]});
}

}  // namespace

scenario::scenario(std::string name)
    : name_{std::move(name)}, dir_{"swpt-e2e-" + name_}, trio_{make_trio_on_free_ports(dir_.path() / "nodes")} {
  if (config().swpt_stomp.empty()) throw std::runtime_error("--swpt-stomp PATH was not given");
}

fixtures::node& scenario::add_node(const std::string& node_name, node_type type, std::string aa_id) {
  return trio_.net.add_node(node_name, type, free_ports(1).front(), std::move(aa_id));
}

void scenario::place(const fixtures::node& n, const rabbitmq_node& broker) {
  if (urls_.count(n.name) != 0) throw std::logic_error(fmt::format("the vhost of {} is in use already", n.name));
  brokers_.insert_or_assign(n.name, broker);
}

std::string scenario::vhost(const fixtures::node& n) const { return fmt::format("e2e-{}-{}", name_, n.name); }

const std::string& scenario::broker_url(const fixtures::node& n) {
  auto it = urls_.find(n.name);
  if (it == urls_.end()) {
    const auto b = brokers_.find(n.name);
    const rabbitmq_node broker = b == brokers_.end() ? rabbitmq_node::test_broker() : b->second;
    it = urls_.emplace(n.name, broker.fresh_vhost(vhost(n))).first;
  }
  return it->second;
}

std::uint64_t scenario::queue_depth(const fixtures::node& n, const std::string& queue) {
  broker_url(n);
  const auto b = brokers_.find(n.name);
  const rabbitmq_node broker = b == brokers_.end() ? rabbitmq_node::test_broker() : b->second;
  const auto depths = broker.queue_depths(vhost(n));
  const auto q = depths.find(queue);
  return q == depths.end() ? 0 : q->second;
}

environment scenario::env(const fixtures::node& n) {
  return {
      {"SWPT_NODEDATA_URL", "file://" + n.dir.string()},
      {"PROTOCOL_BROKER_URL", broker_url(n)},
      {"SWPT_SERVER_CERT", n.server_cert.string()},
      {"SWPT_SERVER_KEY", n.server_key.string()},
      {"SWPT_SERVER_PORT", std::to_string(n.port)},
      {"APP_LOG_LEVEL", "info"},
      {"APP_LOG_FORMAT", "text"},
  };
}

std::unique_ptr<child_process> scenario::start(const fixtures::node& n, const std::vector<std::string>& args,
                                               const environment& extra) {
  environment e = env(n);
  e.insert(e.end(), extra.begin(), extra.end());  // later entries win
  const auto log = dir() / "logs" / fmt::format("{}-{}.log", n.name, args.empty() ? "none" : args.front());
  return std::make_unique<child_process>(config().swpt_stomp, args, e, log);
}

std::unique_ptr<child_process> scenario::start_server(const fixtures::node& n, const environment& extra) {
  auto server = start(n, {"server"}, extra);
  const auto started = fmt::format("Started STOMP server at port {}.", n.port);
  if (!server->wait_for_log(started, 30s))
    throw std::runtime_error(fmt::format("the server did not log {:?} within 30 s: {}", started, server->describe()));
  return server;
}

std::unique_ptr<child_process> scenario::start_client(const fixtures::node& owner, const fixtures::node& peer,
                                                      const std::string& queue, const environment& extra) {
  return start(owner, {"client", peer.id, queue}, extra);
}

run_result scenario::run(const fixtures::node& n, const std::vector<std::string>& args, duration limit) {
  environment e = env(n);
  const auto log = dir() / "logs" / fmt::format("{}-{}-{}.log", n.name, args.empty() ? "none" : args.front(), ++runs_);
  return e2e::run(config().swpt_stomp, args, e, log, limit);
}

void scenario::configure_queue(const fixtures::node& owner, const fixtures::node& peer, const std::string& queue) {
  const run_result r = run(owner, {"configure-queue", peer.id, queue});
  if (!r.status.exited_with(0))
    throw std::runtime_error(fmt::format("configure-queue {} {} as {}: {}\n{}", peer.id, queue, owner.name,
                                         r.status.to_string(), r.output));
}

}  // namespace swpt::e2e

#include "daemon_world.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace swpt::e2e {

std::string daemon_yaml(const fixtures::node& n, const std::string& broker_url, const daemon_settings& d) {
  std::string listen;
  for (const auto port : d.ports.empty() ? std::vector<std::uint16_t>{n.port} : d.ports)
    listen += fmt::format("    - address: 127.0.0.1\n      port: {}\n", port);
  // Short rescans and back-offs: the tests' bounds are a few seconds.
  return fmt::format(
      "# {} ({}), written by the daemon-ops tests\n"
      "node_database: file://{}\n"
      "activation: watch\n"
      "rescan_interval: 1s\n"
      "broker:\n"
      "  url: {}\n"
      "server:\n"
      "  listen:\n{}"
      "  certificate: {}\n"
      "  key: {}\n"
      "clients:\n"
      "  buffer: {}\n"
      "  backoff_initial: 100ms\n"
      "  backoff_max: 1s\n"
      "  refused_backoff_initial: 1s\n"
      "  refused_backoff_max: 2s\n"
      "  standby_retry: 1s\n"
      "logging:\n"
      "  level: {}\n"
      "  format: text\n",
      n.name, n.id, n.dir.string(), broker_url, listen, n.server_cert.string(), n.server_key.string(),
      d.client_buffer, d.log_level);
}

daemon_process::daemon_process(scenario& s, const fixtures::node& n, std::string label, daemon_settings d)
    : s_{s},
      node_{n},
      label_{std::move(label)},
      config_{s.dir() / (label_ + ".yaml")},
      notify_{s.dir() / (label_ + ".notify")} {
  write_config(d);
  restart();
}

bool daemon_process::wait_ready(duration limit, std::size_t from) {
  return notify_.wait_for("READY=1", limit, from).has_value();
}

void daemon_process::write_config(const daemon_settings& d) {
  write_config_text(daemon_yaml(node_, s_.broker_url(node_), d));
}

void daemon_process::write_config_text(const std::string& yaml) {
  const auto temporary = config_.string() + ".new";
  std::ofstream{temporary, std::ios::trunc} << yaml;
  std::filesystem::rename(temporary, config_);  // a reload never sees half a file
}

void daemon_process::restart() {
  // Nothing of the environment but the notification socket: the file alone
  // configures the daemon (the upstream variables would override it).
  const auto log = s_.dir() / "logs" / (label_ + ".log");
  proc_ = std::make_unique<child_process>(config().swpt_stomp,
                                          std::vector<std::string>{"run", "--config", config_.string()},
                                          notify_.env(), log);
}

std::string daemon_process::describe() {
  notify_.drain();
  return proc_->describe(60) + "\n" + notify_.describe();
}

pair_world::pair_world(const std::string& name)
    : s{name}, ca_queue{"peer." + s.aa().id + ".0"}, aa_queue{"peer." + s.ca().id + ".0"} {
  s.net().reset_activation(s.aa(), s.da());
  s.net().reset_activation(s.da(), s.aa());
  s.configure_queue(s.ca(), s.aa(), ca_queue);
  s.configure_queue(s.aa(), s.ca(), aa_queue);
  broker_client aa_in{s.broker_url(s.aa())};
  bind_inbound(aa_in, node_type::accounting_authority);
  broker_client ca_in{s.broker_url(s.ca())};
  bind_inbound(ca_in, node_type::creditors_agent);
}

bool sink::take(const std::function<bool()>& done, duration limit) {
  return take_until(url, received_queue, got, done, limit);
}

std::size_t sink::distinct() {
  for (; counted < got.size(); ++counted) bodies.insert(got[counted].body);
  return bodies.size();
}

void sink::take_rest() {
  for (auto& m : broker_client{url}.get_all(received_queue)) got.push_back(std::move(m));
}

bool sink::has_all(const std::vector<planned>& plan) {
  distinct();
  for (const auto& p : plan)
    if (bodies.count(p.expected.body) == 0) return false;
  return true;
}

std::uint64_t queue_consumers(scenario& s, const fixtures::node& n, const std::string& queue) {
  s.broker_url(n);
  std::istringstream lines{rabbitmq_node::test_broker().ctl(
      {"list_queues", "--quiet", "--no-table-headers", "-p", s.vhost(n), "name", "consumers"})};
  std::string name;
  std::uint64_t consumers = 0;
  while (lines >> name >> consumers)
    if (name == queue) return consumers;
  return 0;
}

void publish(scenario& s, const fixtures::node& from, const fixtures::node& to, const std::vector<planned>& plan) {
  broker_client out{s.broker_url(from)};
  publish_plan(out, main_exchange(from.type, to.type).name, plan);
}

}  // namespace swpt::e2e

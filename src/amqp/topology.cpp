#include "amqp/topology.hpp"

#include <stdexcept>

namespace swpt::amqp {

queue_topology topology_for(const peer_context& peering, std::string_view peer_id, std::string_view queue) {
  queue_topology t;
  std::string_view prefix;
  switch (peering.owner_type) {
    case node_type::accounting_authority:
      prefix = "aa";
      t.main_type = "topic";
      if (peering.peer_type == node_type::creditors_agent) {
        t.main_exchange = "to_creditors";
        t.binding_key = peering.peer_creditors.binding_key();
      } else if (peering.peer_type == node_type::debtors_agent) {
        t.main_exchange = "to_debtors";
        t.binding_key = peering.peer_debtors.binding_key();
      } else {
        throw std::invalid_argument{"an accounting authority peers only with creditors and debtors agents"};
      }
      break;
    case node_type::creditors_agent:
      if (peering.peer_type != node_type::accounting_authority) throw std::invalid_argument{"a creditors agent peers only with accounting authorities"};
      prefix = "ca";
      t.loopback_filter = "ca.loopback_filter";
      t.main_exchange = "creditors_out";
      t.main_type = "topic";
      t.main_arguments = {{"alternate-exchange", std::string{"ca.loopback_filter"}}};
      t.binding_key = peering.peer_debtors.binding_key();
      break;
    case node_type::debtors_agent:
      if (peering.peer_type != node_type::accounting_authority) throw std::invalid_argument{"a debtors agent peers only with accounting authorities"};
      prefix = "da";
      t.main_exchange = "debtors_out";
      t.main_type = "fanout";
      t.binding_key = "";
      break;
  }
  t.peer_exchange = std::string{prefix} + ".x." + std::string{peer_id};
  t.queue = queue;
  t.dead_letter_queue = std::string{queue} + ".XQ";
  return t;
}

void declare(connection& c, const queue_topology& t) {
  if (t.loopback_filter) c.declare_exchange(*t.loopback_filter, "headers");
  c.declare_exchange(t.main_exchange, t.main_type, t.main_arguments);
  c.declare_exchange(t.peer_exchange, "x-random");
  c.bind_exchange(t.peer_exchange, t.main_exchange, t.binding_key);
  c.declare_queue(t.dead_letter_queue);
  c.declare_queue(t.queue, {{"x-dead-letter-exchange", std::string{}},
                            {"x-dead-letter-routing-key", t.dead_letter_queue}});
  c.bind_queue(t.queue, t.peer_exchange, t.queue);
}

}  // namespace swpt::amqp

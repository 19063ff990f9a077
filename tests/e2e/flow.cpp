#include "flow.hpp"

#include "core/routing_key.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

namespace swpt::e2e {

namespace {

constexpr std::int64_t debtor_base = 0x1234abcd00000000;  // AA 1234abcd; DA subnet 1234abcd00

// Between a CA and an AA, odd messages are direct, even ones by an agent.
std::string direct_or_agent(std::int64_t k) { return k % 2 == 1 ? "direct" : "agent"; }

// `per_type` messages of each type, make(type, k) for k = first, first + 1, ...
template <class Make>
std::vector<planned> generate(const std::vector<std::string>& types, int per_type, std::int64_t first, Make make) {
  std::vector<planned> out;
  std::int64_t k = first;
  for (const auto& type : types)
    for (int i = 0; i < per_type; ++i, ++k) out.push_back(make(type, k));
  return out;
}

}  // namespace

std::int64_t masquerade(std::int64_t id, std::uint64_t from_prefix, std::uint64_t to_prefix) {
  constexpr std::uint64_t mask = 0xFFFFFF0000000000;
  const auto u = static_cast<std::uint64_t>(id);
  if ((u & mask) != from_prefix << 40) throw std::invalid_argument(fmt::format("{:#x} is not in {:06x}", u, from_prefix));
  return static_cast<std::int64_t>((to_prefix << 40) | (u & ~mask));
}

expected_message expect_at(node_type owner, std::string_view type, const smp_ids& ids) {
  expected_message e{std::string{inbound_exchange(owner)}, {}, std::string{type}, smp_body(type, ids), {}};
  switch (owner) {
    case node_type::accounting_authority:
      e.routing_key = routing_key({ids.debtor, ids.creditor});
      e.headers = expected_headers(type, ids);
      break;
    case node_type::debtors_agent:
      e.routing_key = routing_key({ids.debtor});
      e.headers = expected_headers(type, ids);
      break;
    case node_type::creditors_agent: {
      const ca_flags flags = classify_for_ca(type, ids);
      const bool by_coordinator = has_coordinator_id(type) && ids.coordinator_type == "agent";
      e.routing_key = routing_key({by_coordinator ? ids.coordinator : ids.creditor});
      e.headers = expected_headers(type, ids, &flags);
      break;
    }
  }
  return e;
}

namespace {

// A message between a CA and its AA: the creditor and an agent coordinator
// in the sender's numbering, the receiver's expectation in its own.
planned masqueraded(const std::string& type, std::int64_t k, std::int64_t creditor, std::int64_t agent, bool to_aa) {
  smp_ids ids{debtor_base + k, creditor, direct_or_agent(k), 0};
  ids.coordinator = ids.coordinator_type == "direct" ? ids.creditor : agent;
  const auto from = to_aa ? ca_own_prefix : ca_masq_prefix;
  const auto to = to_aa ? ca_masq_prefix : ca_own_prefix;
  smp_ids there = ids;
  there.creditor = masquerade(ids.creditor, from, to);
  there.coordinator = masquerade(ids.coordinator, from, to);
  const node_type receiver = to_aa ? node_type::accounting_authority : node_type::creditors_agent;
  // creditors_out is keyed by the debtor, to_creditors by the creditor.
  return planned{type, smp_body(type, ids), dotted_hex(to_aa ? ids.debtor : ids.creditor),
                 expect_at(receiver, type, there)};
}

}  // namespace

std::vector<planned> plan_ca_to_aa(const std::vector<std::string>& types, int per_type, std::int64_t first) {
  return generate(types, per_type, first, [](const std::string& type, std::int64_t k) {
    return masqueraded(type, k, 0x0000080100000000 + k, 0x0000080200000000 + k, true);
  });
}

std::vector<planned> plan_aa_to_ca(const std::vector<std::string>& types, int per_type, std::int64_t first) {
  return generate(types, per_type, first, [](const std::string& type, std::int64_t k) {
    // Every third creditor is a trade account (bits 32-39 zero).
    const std::int64_t creditor = (k % 3 == 0 ? 0x0000010000000000 : 0x0000010100000000) + k;
    return masqueraded(type, k, creditor, 0x0000010200000000 + k, false);
  });
}

std::vector<planned> plan_da_to_aa(const std::vector<std::string>& types, int per_type, std::int64_t first) {
  return generate(types, per_type, first, [](const std::string& type, std::int64_t k) {
    const smp_ids ids{debtor_base + k, 0, "issuing", debtor_base + k};
    return planned{type, smp_body(type, ids), "", expect_at(node_type::accounting_authority, type, ids)};
  });
}

std::vector<planned> plan_aa_to_da(const std::vector<std::string>& types, int per_type, std::int64_t first) {
  return generate(types, per_type, first, [](const std::string& type, std::int64_t k) {
    const smp_ids ids{debtor_base + k, 0, "issuing", debtor_base + k};
    return planned{type, smp_body(type, ids), dotted_hex(ids.debtor), expect_at(node_type::debtors_agent, type, ids)};
  });
}

exchange_spec main_exchange(node_type owner, node_type peer) {
  using enum node_type;
  if (owner == accounting_authority) return {peer == creditors_agent ? "to_creditors" : "to_debtors", "topic", {}};
  if (owner == creditors_agent) return {"creditors_out", "topic", {{"alternate-exchange", std::string{"ca.loopback_filter"}}}};
  return {"debtors_out", "fanout", {}};
}

std::vector<std::string> topology_refusals(broker_client& c, node_type owner, node_type peer,
                                           const std::string& peer_id, const std::string& queue) {
  std::vector<std::string> refusals;
  const auto note = [&](std::string what, std::string refusal) {
    if (!refusal.empty()) refusals.push_back(what + ": " + refusal);
  };
  if (owner == node_type::creditors_agent)
    note("exchange ca.loopback_filter", c.try_declare_exchange("ca.loopback_filter", "headers"));
  const exchange_spec main = main_exchange(owner, peer);
  note("exchange " + main.name, c.try_declare_exchange(main.name, main.type, main.args));
  const std::string peer_exchange = fmt::format("{}.x.{}", node_type_prefix(owner), peer_id);
  note("exchange " + peer_exchange, c.try_declare_exchange(peer_exchange, "x-random"));
  note("queue " + queue + ".XQ", c.try_declare_queue(queue + ".XQ"));
  note("queue " + queue, c.try_declare_queue(queue, {{"x-dead-letter-exchange", std::string{}},
                                                     {"x-dead-letter-routing-key", queue + ".XQ"}}));
  return refusals;
}

void bind_inbound(broker_client& c, node_type owner) {
  const std::string exchange{inbound_exchange(owner)};
  const bool headers = owner == node_type::creditors_agent;
  c.declare_exchange(exchange, headers ? "headers" : "topic");
  c.declare_queue(received_queue);
  // A headers binding without headers to match (x-match all) takes everything.
  c.bind_queue(received_queue, exchange, headers ? "" : "#");
}

void publish_plan(broker_client& c, const std::string& exchange, const std::vector<planned>& plan) {
  for (const auto& p : plan) c.publish(exchange, p.main_key, p.body, {.type = p.type});
  c.confirm();
}

std::string describe(const message& m) {
  return fmt::format("exchange={} key={} type={} content_type={} delivery_mode={} priority={} app_id={} "
                     "properties=[{}] headers=[{}] body={}",
                     m.exchange, m.routing_key, m.type, m.content_type, m.delivery_mode, m.priority, m.app_id,
                     fmt::join(m.properties, ","), fmt::join(m.header_strings(), ", "), m.body);
}

std::string describe(const expected_message& e) {
  // docs/message-processing.md §3: content type, headers, persistent, priority 0,
  // type, app_id swpt_stomp; no other property.
  return fmt::format("exchange={} key={} type={} content_type=application/json delivery_mode=2 priority=0 "
                     "app_id=swpt_stomp properties=[content_type,headers,delivery_mode,priority,type,app_id] "
                     "headers=[{}] body={}",
                     e.exchange, e.routing_key, e.type, fmt::join(e.headers, ", "), e.body);
}

std::string comparison::summary(std::size_t shown) const {
  std::string out = fmt::format("{} missing, {} unexpected", missing.size(), unexpected.size());
  for (std::size_t i = 0; i < std::min(shown, missing.size()); ++i) out += "\n  missing:    " + missing[i];
  for (std::size_t i = 0; i < std::min(shown, unexpected.size()); ++i) out += "\n  unexpected: " + unexpected[i];
  return out;
}

comparison compare(const std::vector<expected_message>& expected, const std::vector<message>& got,
                   bool at_least_once) {
  std::map<std::string, long> balance;  // expected count minus received count
  for (const auto& e : expected) ++balance[describe(e)];
  std::map<std::string, long> wanted = balance;
  for (const auto& m : got) --balance[describe(m)];
  comparison c;
  for (const auto& [d, n] : balance) {
    if (n > 0) c.missing.insert(c.missing.end(), static_cast<std::size_t>(n), d);
    const bool repeat_ok = at_least_once && wanted.count(d) != 0;
    if (n < 0 && !repeat_ok) c.unexpected.insert(c.unexpected.end(), static_cast<std::size_t>(-n), d);
  }
  return c;
}

std::vector<expected_message> expectations(const std::vector<planned>& plan) {
  std::vector<expected_message> out;
  for (const auto& p : plan) out.push_back(p.expected);
  return out;
}

bool take_until(const std::string& url, const std::string& queue, std::vector<message>& got,
                const std::function<bool()>& done, duration limit) {
  std::optional<broker_client> client;
  return wait_until(
      [&] {
        try {
          if (!client) client.emplace(url);
          while (!done()) {
            auto m = client->get(queue);
            if (!m) break;
            got.push_back(std::move(*m));
          }
        } catch (const broker_error&) {
          client.reset();  // the broker is away; try again at the next poll
        }
        return done();
      },
      limit);
}

}  // namespace swpt::e2e

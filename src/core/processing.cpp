#include "core/processing.hpp"

#include "core/routing_key.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace swpt {
namespace {

using smp::field;

bool involves(const peer_context& ctx, node_type t) {
  return ctx.owner_type == t || ctx.peer_type == t;
}

// The "in" group goes to accounting authorities, the "out" group comes from them.
bool accepted_by(node_type owner, smp::message_type type) {
  const bool to_authority = smp::direction_of(type) == smp::direction::to_authority;
  return to_authority == (owner == node_type::accounting_authority);
}

result<smp::message> parse_checked(std::string_view content_type, std::string_view type_name,
                                   std::string_view body, bool (*allowed)(node_type, smp::message_type),
                                   node_type owner) {
  if (content_type != json_content_type)
    return failure{fmt::format("Unsupported content type: {}.", content_type)};
  const auto type = smp::parse_message_type(type_name);
  if (!type || !allowed(owner, *type)) return failure{fmt::format("Invalid message type: {}.", type_name)};
  auto msg = smp::message::parse(*type, body);
  if (!msg) return failure{fmt::format("Invalid {} message.", type_name)};
  return std::move(*msg);
}

std::string invalid_id(std::string_view what, std::int64_t id) {
  return fmt::format("Invalid {} ID: {}.", what, format_id(id));
}

// Step 4: a peer's clock may lag behind ours without limit, but not run ahead.
std::optional<std::string> check_timestamp(const smp::message& msg, std::chrono::system_clock::time_point now) {
  const auto ts = msg.dt(field::ts).utc_microseconds();
  if (!ts) return fmt::format("Invalid {} message.", smp::type_name(msg.type()));
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const double ahead = static_cast<double>(*ts - now_us) / 1e6;
  if (ahead > static_cast<double>(max_clock_skew.count()))
    return fmt::format("The message timestamp is {} seconds in the future.", std::llround(ahead));
  return std::nullopt;
}

// Steps 5-8: the IDs must be within the peer's responsibility.
std::optional<std::string> check_ids(const peer_context& ctx, const smp::message& msg) {
  const auto creditor = msg.i64(field::creditor_id);
  const auto debtor = msg.i64(field::debtor_id);
  if (!ctx.peer_creditors.contains(creditor)) return invalid_id("creditor", creditor);
  if (!ctx.peer_debtors.contains(debtor)) return invalid_id("debtor", debtor);
  if (!msg.has(field::coordinator_id)) return std::nullopt;

  const auto& coordinator_type = msg.str(field::coordinator_type);
  const bool type_ok = involves(ctx, node_type::creditors_agent)
                           ? coordinator_type == "direct" || coordinator_type == "agent"
                           : coordinator_type == "issuing";
  if (!type_ok) return fmt::format("Invalid coordinator type: {}.", coordinator_type);

  const auto coordinator = msg.i64(field::coordinator_id);
  const bool id_ok = coordinator_type == "direct"  ? coordinator == creditor
                     : coordinator_type == "agent" ? ctx.peer_creditors.contains(coordinator)
                                                   : coordinator == debtor && creditor == 0;
  if (!id_ok) return std::string{"Invalid coordinator ID."};
  return std::nullopt;
}

// The lowest 2^32 IDs of each creditors agent's range are system accounts
// used for circular trades.
bool is_trade_account(std::int64_t creditor_id) {
  return (static_cast<std::uint64_t>(creditor_id) & 0x000000ff00000000) == 0;
}

// Step 9, creditors-agent owners: move the IDs from the numbering the
// accounting authority gave us (masq-subnet) into our own, and classify
// the message for the creditors application. The node database guarantees
// equal masks, and check_ids() that the IDs are in the peer's subnet.
struct ca_flags {
  bool creditors;  // for the creditors application proper
  bool trade;      // for the circular-trade machinery
};

ca_flags masquerade_received(const peer_context& ctx, smp::message& msg, std::string& routing) {
  const auto to_owner = [&](field f) {
    msg.set_i64(f, ctx.peer_creditors.translate(msg.i64(f), ctx.owner_creditors).value());
  };
  const bool trade_account = is_trade_account(msg.i64(field::creditor_id));
  const bool trade_notification =
      msg.type() == smp::message_type::account_transfer && msg.str(field::coordinator_type) == "agent";
  to_owner(field::creditor_id);
  routing = routing_key({msg.i64(field::creditor_id)});

  bool trade_transfer = false;
  if (msg.has(field::coordinator_id)) {
    to_owner(field::coordinator_id);
    if (msg.str(field::coordinator_type) == "agent") {
      trade_transfer = true;
      routing = routing_key({msg.i64(field::coordinator_id)});
    }
  }
  return {!(trade_account || trade_transfer), trade_account || trade_transfer || trade_notification};
}

}  // namespace

result<publication> publication_for(const peer_context& ctx, smp::message msg,
                                    std::chrono::system_clock::time_point now) {
  if (auto error = check_timestamp(msg, now)) return failure{std::move(*error)};
  if (auto error = check_ids(ctx, msg)) return failure{std::move(*error)};

  publication out{inbound_exchange(ctx.owner_type), {}, msg.type(), {}, {}, ctx.peer_id};
  std::optional<ca_flags> flags;
  switch (ctx.owner_type) {
    case node_type::accounting_authority:
      out.routing_key = routing_key({msg.i64(field::debtor_id), msg.i64(field::creditor_id)});
      break;
    case node_type::creditors_agent:
      flags = masquerade_received(ctx, msg, out.routing_key);
      break;
    case node_type::debtors_agent:
      out.routing_key = routing_key({msg.i64(field::debtor_id)});
      break;
  }

  auto& headers = out.headers;
  headers.reserve(7);
  headers.emplace_back("message-type", std::string{smp::type_name(msg.type())});
  headers.emplace_back("debtor-id", msg.i64(field::debtor_id));
  headers.emplace_back("creditor-id", msg.i64(field::creditor_id));
  if (flags) {
    headers.emplace_back("ca-creditors", flags->creditors);
    headers.emplace_back("ca-trade", flags->trade);
  }
  if (msg.has(field::coordinator_id)) {
    headers.emplace_back("coordinator-id", msg.i64(field::coordinator_id));
    headers.emplace_back("coordinator-type", msg.str(field::coordinator_type));
  }
  msg.append_json(out.body);
  return out;
}

result<publication> process_received(const peer_context& ctx, std::string_view content_type,
                                     std::string_view type, std::string_view body,
                                     std::chrono::system_clock::time_point now) {
  auto msg = parse_checked(content_type, type, body, accepted_by, ctx.owner_type);
  if (!msg) return failure{msg.error()};
  return publication_for(ctx, std::move(*msg), now);
}

result<smp::message> prepare_outgoing(const peer_context& ctx, std::string_view content_type,
                                      std::string_view type, std::string_view body) {
  const auto sent_by = [](node_type owner, smp::message_type t) { return !accepted_by(owner, t); };
  auto msg = parse_checked(content_type, type, body, sent_by, ctx.owner_type);
  if (!msg) return msg;

  if (ctx.owner_type == node_type::creditors_agent) {
    const auto to_peer = [&](field f, std::string_view what) -> std::optional<std::string> {
      const auto translated = ctx.owner_creditors.translate(msg->i64(f), ctx.peer_creditors);
      if (!translated) return invalid_id(what, msg->i64(f));
      msg->set_i64(f, *translated);
      return std::nullopt;
    };
    if (auto error = to_peer(field::creditor_id, "creditor")) return failure{std::move(*error)};
    if (msg->has(field::coordinator_id)) {
      const auto& coordinator_type = msg->str(field::coordinator_type);
      if (coordinator_type == "direct" || coordinator_type == "agent")
        if (auto error = to_peer(field::coordinator_id, "coordinator")) return failure{std::move(*error)};
    }
  }
  if (!ctx.peer_creditors.contains(msg->i64(field::creditor_id)))
    return failure{invalid_id("creditor", msg->i64(field::creditor_id))};
  if (!ctx.peer_debtors.contains(msg->i64(field::debtor_id)))
    return failure{invalid_id("debtor", msg->i64(field::debtor_id))};
  return msg;
}

result<std::string> process_outgoing(const peer_context& ctx, std::string_view content_type,
                                     std::string_view type, std::string_view body) {
  auto msg = prepare_outgoing(ctx, content_type, type, body);
  if (!msg) return failure{msg.error()};
  return msg->to_json();
}

}  // namespace swpt

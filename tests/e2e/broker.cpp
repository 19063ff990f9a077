#include "broker.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <fmt/format.h>

#include <sys/time.h>

#include <array>
#include <limits>
#include <set>
#include <utility>

namespace swpt::e2e {

namespace {

constexpr amqp_channel_t channel_number = 1;
constexpr timeval rpc_timeout{30, 0};  // no call waits longer for the broker

amqp_bytes_t bytes(const std::string& s) noexcept {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string text(amqp_bytes_t b) {
  return b.len == 0 ? std::string{} : std::string{static_cast<const char*>(b.bytes), b.len};
}

// An amqp_table_t view of a table; valid while both live.
class wire_table {
 public:
  explicit wire_table(const table& t) : entries_(t.size()) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      amqp_table_entry_t& e = entries_[i];
      e.key = bytes(t[i].name);
      if (const auto* s = std::get_if<std::string>(&t[i].value)) {
        e.value.kind = AMQP_FIELD_KIND_UTF8;
        e.value.value.bytes = bytes(*s);
      } else if (const auto* n = std::get_if<std::int64_t>(&t[i].value)) {
        e.value.kind = AMQP_FIELD_KIND_I64;
        e.value.value.i64 = *n;
      } else {
        e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
        e.value.value.boolean = std::get<bool>(t[i].value) ? 1 : 0;
      }
    }
  }
  amqp_table_t get() noexcept { return {static_cast<int>(entries_.size()), entries_.data()}; }

 private:
  std::vector<amqp_table_entry_t> entries_;
};

header decode(const amqp_table_entry_t& e) {
  header h;
  h.name = text(e.key);
  h.kind = static_cast<char>(e.value.kind);
  const auto& v = e.value.value;
  switch (e.value.kind) {
    case AMQP_FIELD_KIND_BOOLEAN: h.boolean = v.boolean != 0; break;
    case AMQP_FIELD_KIND_I8: h.integer = v.i8; break;
    case AMQP_FIELD_KIND_U8: h.integer = v.u8; break;
    case AMQP_FIELD_KIND_I16: h.integer = v.i16; break;
    case AMQP_FIELD_KIND_U16: h.integer = v.u16; break;
    case AMQP_FIELD_KIND_I32: h.integer = v.i32; break;
    case AMQP_FIELD_KIND_U32: h.integer = v.u32; break;
    case AMQP_FIELD_KIND_I64: h.integer = v.i64; break;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP: h.integer = static_cast<std::int64_t>(v.u64); break;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: h.text = text(v.bytes); break;
    default: break;  // floats, decimals, tables, arrays: only the kind is kept
  }
  return h;
}

message decode(const amqp_basic_properties_t& p, amqp_bytes_t body) {
  static constexpr std::array<std::pair<amqp_flags_t, const char*>, 14> names{{
      {AMQP_BASIC_CONTENT_TYPE_FLAG, "content_type"},
      {AMQP_BASIC_CONTENT_ENCODING_FLAG, "content_encoding"},
      {AMQP_BASIC_HEADERS_FLAG, "headers"},
      {AMQP_BASIC_DELIVERY_MODE_FLAG, "delivery_mode"},
      {AMQP_BASIC_PRIORITY_FLAG, "priority"},
      {AMQP_BASIC_CORRELATION_ID_FLAG, "correlation_id"},
      {AMQP_BASIC_REPLY_TO_FLAG, "reply_to"},
      {AMQP_BASIC_EXPIRATION_FLAG, "expiration"},
      {AMQP_BASIC_MESSAGE_ID_FLAG, "message_id"},
      {AMQP_BASIC_TIMESTAMP_FLAG, "timestamp"},
      {AMQP_BASIC_TYPE_FLAG, "type"},
      {AMQP_BASIC_USER_ID_FLAG, "user_id"},
      {AMQP_BASIC_APP_ID_FLAG, "app_id"},
      {AMQP_BASIC_CLUSTER_ID_FLAG, "cluster_id"},
  }};
  message m;
  m.body = text(body);
  for (const auto& [flag, name] : names)
    if ((p._flags & flag) != 0) m.properties.emplace_back(name);
  if ((p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) != 0) m.content_type = text(p.content_type);
  if ((p._flags & AMQP_BASIC_TYPE_FLAG) != 0) m.type = text(p.type);
  if ((p._flags & AMQP_BASIC_APP_ID_FLAG) != 0) m.app_id = text(p.app_id);
  if ((p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) != 0) m.delivery_mode = p.delivery_mode;
  if ((p._flags & AMQP_BASIC_PRIORITY_FLAG) != 0) m.priority = p.priority;
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0)
    for (int i = 0; i < p.headers.num_entries; ++i) m.headers.push_back(decode(p.headers.entries[i]));
  return m;
}

}  // namespace

std::string header::to_string() const {
  switch (kind) {
    case 't': return fmt::format("{}:t:{}", name, boolean);
    case 'S':
    case 'x': return fmt::format("{}:{}:{}", name, kind, text);
    case 'b': case 'B': case 's': case 'u': case 'I': case 'i': case 'l': case 'L': case 'T':
      return fmt::format("{}:{}:{}", name, kind, integer);
    default: return fmt::format("{}:{}:?", name, kind);
  }
}

std::vector<std::string> message::header_strings() const {
  std::vector<std::string> out;
  for (const auto& h : headers) out.push_back(h.to_string());
  return out;
}

bool message::has_property(std::string_view name) const {
  for (const auto& p : properties)
    if (p == name) return true;
  return false;
}

char integer_kind(std::int64_t v) noexcept {
  if (v >= -128 && v <= 127) return 'b';
  if (v >= -32768 && v <= 32767) return 's';
  if (v >= 0 && v <= 65535) return 'u';
  if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) return 'I';
  if (v >= 0 && v <= std::numeric_limits<std::uint32_t>::max()) return 'i';
  return 'l';
}

struct broker_client::state {
  amqp_connection_state_t conn = amqp_new_connection();
  bool open = false;            // logged in, channel usable
  std::uint64_t published = 0;          // delivery tags given out (confirm mode)
  std::set<std::uint64_t> unconfirmed;  // confirms may come in any order
  std::vector<std::string> refusals;  // nacks and returns not yet reported

  ~state() {
    if (open) {
      amqp_channel_close(conn, channel_number, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn);
  }

  // "" when `r` is a normal reply. Otherwise the error text; a channel
  // closed by the broker is acknowledged and opened again so the client
  // stays usable; a closed connection throws.
  std::string failure(const amqp_rpc_reply_t& r, std::string_view what) {
    switch (r.reply_type) {
      case AMQP_RESPONSE_NORMAL: return {};
      case AMQP_RESPONSE_NONE: open = false; throw broker_error(fmt::format("{}: no reply", what));
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        open = false;
        throw broker_error(fmt::format("{}: {}", what, amqp_error_string2(r.library_error)));
      case AMQP_RESPONSE_SERVER_EXCEPTION: break;
    }
    if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      const auto* m = static_cast<const amqp_channel_close_t*>(r.reply.decoded);
      std::string reason = fmt::format("{} {}", m->reply_code, text(m->reply_text));
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn, channel_number, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      reopen_channel();
      return reason;
    }
    open = false;
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      const auto* m = static_cast<const amqp_connection_close_t*>(r.reply.decoded);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      throw broker_error(fmt::format("{}: connection closed: {} {}", what, m->reply_code, text(m->reply_text)));
    }
    throw broker_error(fmt::format("{}: unexpected method 0x{:08x}", what, r.reply.id));
  }

  void check(std::string_view what) {
    if (auto f = failure(amqp_get_rpc_reply(conn), what); !f.empty())
      throw broker_error(fmt::format("{}: {}", what, f));
  }

  void reopen_channel() {
    amqp_channel_open(conn, channel_number);
    check("channel.open");
    amqp_confirm_select(conn, channel_number);
    check("confirm.select");
    published = 0;
    unconfirmed.clear();
  }

  void settle(std::uint64_t tag, bool multiple) {
    if (multiple)
      unconfirmed.erase(unconfirmed.begin(), unconfirmed.upper_bound(tag));
    else
      unconfirmed.erase(tag);
  }

  // Reads frames until every publish is confirmed.
  void await_confirms() {
    while (!unconfirmed.empty()) {
      amqp_frame_t frame;
      timeval tv = rpc_timeout;
      const int rc = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
      if (rc != AMQP_STATUS_OK) {
        open = false;
        throw broker_error(fmt::format("waiting for confirms: {}", amqp_error_string2(rc)));
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      const amqp_method_t& method = frame.payload.method;
      switch (method.id) {
        case AMQP_BASIC_ACK_METHOD: {
          const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
          settle(ack->delivery_tag, ack->multiple != 0);
          break;
        }
        case AMQP_BASIC_NACK_METHOD: {
          const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
          refusals.push_back(fmt::format("nack of delivery tag {}", nack->delivery_tag));
          settle(nack->delivery_tag, nack->multiple != 0);
          break;
        }
        case AMQP_BASIC_RETURN_METHOD: {
          const auto* ret = static_cast<const amqp_basic_return_t*>(method.decoded);
          refusals.push_back(fmt::format("returned: {} {} (exchange {:?}, key {:?})", ret->reply_code,
                                         text(ret->reply_text), text(ret->exchange), text(ret->routing_key)));
          amqp_message_t content;
          if (auto f = failure(amqp_read_message(conn, channel_number, &content, 0), "basic.return"); !f.empty())
            throw broker_error(f);
          amqp_destroy_message(&content);
          break;
        }
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD: {
          amqp_rpc_reply_t r{};
          r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
          r.reply = method;
          throw broker_error(fmt::format("publishing: {}", failure(r, "publishing")));
        }
        default: break;
      }
    }
    amqp_maybe_release_buffers(conn);
    if (!refusals.empty()) {
      std::string all = fmt::format("{}", fmt::join(refusals, "; "));
      refusals.clear();
      throw broker_error(all);
    }
  }

  void usable() {
    if (!open) throw broker_error("the broker connection is closed");
    await_confirms();
  }
};

broker_client::broker_client(const std::string& url) : s_{std::make_unique<state>()} {
  std::string copy = url;  // amqp_parse_url writes into it
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(copy.data(), &info) != AMQP_STATUS_OK) throw broker_error(fmt::format("bad AMQP URL {}", url));
  amqp_socket_t* socket = amqp_tcp_socket_new(s_->conn);
  if (socket == nullptr) throw broker_error("amqp_tcp_socket_new failed");
  const timeval connect_timeout{10, 0};
  if (int rc = amqp_socket_open_noblock(socket, info.host, info.port, &connect_timeout); rc != AMQP_STATUS_OK)
    throw broker_error(fmt::format("connecting to {}:{}: {}", info.host, info.port, amqp_error_string2(rc)));
  amqp_set_rpc_timeout(s_->conn, &rpc_timeout);
  const amqp_rpc_reply_t login = amqp_login(s_->conn, info.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                                            AMQP_SASL_METHOD_PLAIN, info.user, info.password);
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    std::string why = login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                          ? std::string{amqp_error_string2(login.library_error)}
                          : std::string{"refused by the broker"};
    throw broker_error(fmt::format("login to vhost {:?} at {}:{}: {}", info.vhost, info.host, info.port, why));
  }
  s_->open = true;
  s_->reopen_channel();
}

broker_client::~broker_client() = default;

std::string broker_client::try_declare_exchange(const std::string& name, const std::string& type,
                                                const table& args) {
  s_->usable();
  wire_table t{args};
  amqp_exchange_declare(s_->conn, channel_number, bytes(name), bytes(type), 0, 1, 0, 0, t.get());
  return s_->failure(amqp_get_rpc_reply(s_->conn), "exchange.declare");
}

void broker_client::declare_exchange(const std::string& name, const std::string& type, const table& args) {
  if (auto f = try_declare_exchange(name, type, args); !f.empty())
    throw broker_error(fmt::format("declaring exchange {}: {}", name, f));
}

bool broker_client::exchange_exists(const std::string& name) {
  s_->usable();
  amqp_exchange_declare(s_->conn, channel_number, bytes(name), amqp_cstring_bytes(""), 1, 0, 0, 0,
                        amqp_empty_table);
  return s_->failure(amqp_get_rpc_reply(s_->conn), "exchange.declare passive").empty();
}

std::string broker_client::try_declare_queue(const std::string& name, const table& args) {
  s_->usable();
  wire_table t{args};
  amqp_queue_declare(s_->conn, channel_number, bytes(name), 0, 1, 0, 0, t.get());
  return s_->failure(amqp_get_rpc_reply(s_->conn), "queue.declare");
}

void broker_client::declare_queue(const std::string& name, const table& args) {
  if (auto f = try_declare_queue(name, args); !f.empty())
    throw broker_error(fmt::format("declaring queue {}: {}", name, f));
}

std::optional<std::uint32_t> broker_client::message_count(const std::string& queue) {
  s_->usable();
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(s_->conn, channel_number, bytes(queue), 1, 0, 0, 0, amqp_empty_table);
  if (!s_->failure(amqp_get_rpc_reply(s_->conn), "queue.declare passive").empty()) return std::nullopt;
  return ok->message_count;
}

void broker_client::bind_queue(const std::string& queue, const std::string& exchange, const std::string& key,
                               const table& args) {
  s_->usable();
  wire_table t{args};
  amqp_queue_bind(s_->conn, channel_number, bytes(queue), bytes(exchange), bytes(key), t.get());
  s_->check(fmt::format("binding {} to {}", queue, exchange));
}

void broker_client::purge(const std::string& queue) {
  s_->usable();
  amqp_queue_purge(s_->conn, channel_number, bytes(queue));
  s_->check(fmt::format("purging {}", queue));
}

void broker_client::publish(const std::string& exchange, const std::string& routing_key, const std::string& body,
                            const publish_options& options, bool mandatory) {
  if (!s_->open) throw broker_error("the broker connection is closed");
  wire_table headers{options.headers};
  amqp_basic_properties_t p{};
  if (!options.content_type.empty()) {
    p._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
    p.content_type = bytes(options.content_type);
  }
  if (!options.type.empty()) {
    p._flags |= AMQP_BASIC_TYPE_FLAG;
    p.type = bytes(options.type);
  }
  if (options.persistent) {
    p._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  }
  if (!options.headers.empty()) {
    p._flags |= AMQP_BASIC_HEADERS_FLAG;
    p.headers = headers.get();
  }
  const int rc = amqp_basic_publish(s_->conn, channel_number, bytes(exchange), bytes(routing_key),
                                    mandatory ? 1 : 0, 0, &p, bytes(body));
  if (rc != AMQP_STATUS_OK) {
    s_->open = false;
    throw broker_error(fmt::format("basic.publish to {}: {}", exchange, amqp_error_string2(rc)));
  }
  s_->unconfirmed.insert(++s_->published);
}

void broker_client::confirm() { s_->usable(); }

std::optional<message> broker_client::get(const std::string& queue) {
  s_->usable();
  const amqp_rpc_reply_t r = amqp_basic_get(s_->conn, channel_number, bytes(queue), 0);
  if (auto f = s_->failure(r, "basic.get"); !f.empty()) throw broker_error(fmt::format("basic.get {}: {}", queue, f));
  if (r.reply.id != AMQP_BASIC_GET_OK_METHOD) {
    amqp_maybe_release_buffers(s_->conn);
    return std::nullopt;
  }
  const auto* ok = static_cast<const amqp_basic_get_ok_t*>(r.reply.decoded);
  std::string exchange = text(ok->exchange);
  std::string routing_key = text(ok->routing_key);
  const bool redelivered = ok->redelivered != 0;
  const std::uint64_t tag = ok->delivery_tag;
  amqp_message_t content;
  if (auto f = s_->failure(amqp_read_message(s_->conn, channel_number, &content, 0), "basic.get content");
      !f.empty())
    throw broker_error(f);
  // Acknowledged only once read whole: a message is never lost to a broken
  // connection (it may come twice instead).
  if (const int rc = amqp_basic_ack(s_->conn, channel_number, tag, 0); rc != AMQP_STATUS_OK) {
    amqp_destroy_message(&content);
    s_->open = false;
    throw broker_error(fmt::format("basic.ack: {}", amqp_error_string2(rc)));
  }
  message m = decode(content.properties, content.body);
  amqp_destroy_message(&content);
  amqp_maybe_release_buffers(s_->conn);
  m.exchange = std::move(exchange);
  m.routing_key = std::move(routing_key);
  m.redelivered = redelivered;
  return m;
}

std::vector<message> broker_client::get_all(const std::string& queue) {
  std::vector<message> out;
  while (auto m = get(queue)) out.push_back(std::move(*m));
  return out;
}

}  // namespace swpt::e2e

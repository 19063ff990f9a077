#include "amqp/connection.hpp"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <type_traits>

namespace swpt::amqp {

amqp_bytes_t bytes(std::string_view s) noexcept {
  // rabbitmq-c only reads through this pointer.
  return {s.size(), const_cast<char*>(s.data())};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

std::string text(amqp_bytes_t b) { return {static_cast<const char*>(b.bytes), b.len}; }

namespace {

timeval to_timeval(std::chrono::milliseconds ms) noexcept {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

// The smallest AMQP integer type that holds `v` (docs/message-processing.md §3).
amqp_field_value_t integer_field(std::int64_t v) noexcept {
  amqp_field_value_t f{};
  if (v >= -128 && v <= 127) {
    f.kind = AMQP_FIELD_KIND_I8;
    f.value.i8 = static_cast<std::int8_t>(v);
  } else if (v >= -32768 && v <= 32767) {
    f.kind = AMQP_FIELD_KIND_I16;
    f.value.i16 = static_cast<std::int16_t>(v);
  } else if (v >= 0 && v <= 65535) {
    f.kind = AMQP_FIELD_KIND_U16;
    f.value.u16 = static_cast<std::uint16_t>(v);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    f.kind = AMQP_FIELD_KIND_I32;
    f.value.i32 = static_cast<std::int32_t>(v);
  } else if (v >= 0 && v <= UINT32_MAX) {
    f.kind = AMQP_FIELD_KIND_U32;
    f.value.u32 = static_cast<std::uint32_t>(v);
  } else {
    f.kind = AMQP_FIELD_KIND_I64;
    f.value.i64 = v;
  }
  return f;
}

amqp_field_value_t field(const header_value& value) noexcept {
  return std::visit(
      [](const auto& v) -> amqp_field_value_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          return integer_field(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          amqp_field_value_t f{};
          f.kind = AMQP_FIELD_KIND_BOOLEAN;
          f.value.boolean = v ? 1 : 0;
          return f;
        } else {
          amqp_field_value_t f{};
          f.kind = AMQP_FIELD_KIND_UTF8;
          f.value.bytes = bytes(v);
          return f;
        }
      },
      value);
}

// An amqp_table_t view of entries that outlive it.
class table_view {
 public:
  template <class Entries>
  explicit table_view(const Entries& entries) {
    entries_.reserve(entries.size());
    for (const auto& [key, value] : entries) entries_.push_back({bytes(key), field(value)});
  }
  amqp_table_t get() noexcept { return {static_cast<int>(entries_.size()), entries_.data()}; }

 private:
  std::vector<amqp_table_entry_t> entries_;
};

}  // namespace

namespace {

// The reply of a failed login as one line (a library error or the broker's close).
[[noreturn]] void login_failed(amqp_connection_state_t state, const amqp_rpc_reply_t& reply) {
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    throw error{fmt::format("logging in: {}", amqp_error_string2(reply.library_error))};
  }
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    throw error{fmt::format("logging in: the broker closed the connection: {} {}", m->reply_code,
                            text(m->reply_text))};
  }
  throw error{"logging in: no reply from the broker"};
}

void log_in(amqp_connection_state_t state, const connection_settings& settings) {
  const auto& url = settings.url;
  // Ask for basic.cancel when the broker drops our consumer (the queue was
  // deleted): otherwise a consumer can go silent for ever. And for a
  // connection.close that says why a login failed, rather than a bare EOF.
  // connection.blocked: told when a resource alarm stops publishing.
  amqp_table_entry_t capabilities[3] = {{bytes("consumer_cancel_notify"), {}},
                                        {bytes("authentication_failure_close"), {}},
                                        {bytes("connection.blocked"), {}}};
  for (auto& c : capabilities) {
    c.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    c.value.value.boolean = 1;
  }
  amqp_table_entry_t properties[2] = {{bytes("capabilities"), {}}, {bytes("connection_name"), {}}};
  properties[0].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[0].value.value.table = {3, capabilities};
  properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[1].value.value.bytes = bytes(settings.name);
  amqp_table_t client_properties{2, properties};
  const auto heartbeat = std::max<int>(1, static_cast<int>(settings.heartbeat.count()));
  const auto login = amqp_login_with_properties(state, url.vhost.c_str(), 0, std::max(settings.frame_max, 4096),
                                                heartbeat, &client_properties, AMQP_SASL_METHOD_PLAIN,
                                                url.user.c_str(), url.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) login_failed(state, login);
}

}  // namespace

amqp_connection_state_t open_connection(const connection_settings& settings) {
  amqp_connection_state_t state = amqp_new_connection();
  if (state == nullptr) throw error{"cannot create an AMQP connection (out of memory)"};
  const auto& url = settings.url;
  amqp_socket_t* socket = nullptr;
  if (url.tls) {
    socket = amqp_ssl_socket_new(state);
    if (socket != nullptr) {
      // The system's trust store, as a browser or curl would use.
      const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
      if (std::filesystem::exists(bundle)) amqp_ssl_socket_set_cacert(socket, bundle);
    }
  } else {
    socket = amqp_tcp_socket_new(state);
  }
  try {
    if (socket == nullptr) throw error{"cannot create an AMQP socket"};
    timeval tv = to_timeval(settings.timeout);
    if (int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &tv); rc != AMQP_STATUS_OK) {
      throw error{fmt::format("connecting to {}:{}: {}", url.host, url.port, amqp_error_string2(rc))};
    }
    amqp_set_handshake_timeout(state, &tv);
    amqp_set_rpc_timeout(state, &tv);
    log_in(state, settings);
  } catch (...) {
    amqp_destroy_connection(state);
    throw;
  }
  return state;
}

connection::connection(const connection_settings& settings)
    : state_{open_connection(settings)}, timeout_{settings.timeout} {
  try {
    amqp_channel_open(state_, channel);
    check_rpc("opening a channel");
  } catch (...) {
    amqp_destroy_connection(state_);
    throw;
  }
}

connection::~connection() {
  if (!broken_) {
    // A polite close, but a short one: a broker that stopped answering
    // must not hold up a process that is shutting down.
    timeval brief{1, 0};
    amqp_set_rpc_timeout(state_, &brief);
    amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

int connection::fd() const noexcept { return amqp_get_sockfd(state_); }

void connection::fail(std::string_view what, int status) {
  broken_ = true;
  throw error{fmt::format("{}: {}", what, amqp_error_string2(status))};
}

void connection::check_rpc(std::string_view what) { check_reply(amqp_get_rpc_reply(state_), what); }

void connection::check_reply(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      broken_ = true;
      throw error{fmt::format("{}: no reply from the broker", what)};
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      fail(what, reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  broken_ = true;  // the broker closes the channel or the connection after an exception
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    throw error{fmt::format("{}: the broker closed the connection: {} {}", what, m->reply_code, text(m->reply_text))};
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    amqp_channel_close_ok_t ok{};
    amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    throw error{fmt::format("{}: {} {}", what, m->reply_code, text(m->reply_text))};
  }
  throw error{fmt::format("{}: unexpected reply from the broker", what)};
}

void connection::declare_exchange(std::string_view name, std::string_view type, const field_table& arguments,
                                  bool passive) {
  table_view args{arguments};
  amqp_exchange_declare(state_, channel, bytes(name), bytes(type), passive, /*durable=*/true,
                        /*auto_delete=*/false, /*internal=*/false, args.get());
  check_rpc(fmt::format("declaring exchange {}", name));
}

std::uint32_t connection::declare_queue(std::string_view name, const field_table& arguments, bool passive) {
  table_view args{arguments};
  const auto* ok = amqp_queue_declare(state_, channel, bytes(name), passive, /*durable=*/true, /*exclusive=*/false,
                                      /*auto_delete=*/false, args.get());
  check_rpc(fmt::format("declaring queue {}", name));
  return ok != nullptr ? ok->message_count : 0;
}

void connection::bind_queue(std::string_view queue, std::string_view exchange, std::string_view key,
                            const field_table& arguments) {
  table_view args{arguments};
  amqp_queue_bind(state_, channel, bytes(queue), bytes(exchange), bytes(key), args.get());
  check_rpc(fmt::format("binding queue {} to exchange {}", queue, exchange));
}

void connection::bind_exchange(std::string_view destination, std::string_view source, std::string_view key) {
  amqp_exchange_bind(state_, channel, bytes(destination), bytes(source), bytes(key), amqp_empty_table);
  check_rpc(fmt::format("binding exchange {} to exchange {}", destination, source));
}

void connection::delete_queue(std::string_view name) {
  amqp_queue_delete(state_, channel, bytes(name), false, false);
  check_rpc(fmt::format("deleting queue {}", name));
}

void connection::delete_exchange(std::string_view name) {
  amqp_exchange_delete(state_, channel, bytes(name), false);
  check_rpc(fmt::format("deleting exchange {}", name));
}

void connection::set_prefetch(std::uint16_t count) {
  amqp_basic_qos(state_, channel, 0, count, false);
  check_rpc("setting the prefetch count");
}

void connection::enable_confirms() {
  amqp_confirm_select(state_, channel);
  check_rpc("enabling publisher confirms");
}

void connection::consume(std::string_view queue) {
  amqp_basic_consume(state_, channel, bytes(queue), amqp_empty_bytes, /*no_local=*/false, /*no_ack=*/false,
                     /*exclusive=*/false, amqp_empty_table);
  check_rpc(fmt::format("consuming from {}", queue));
}

namespace {

// The properties every publish carries; `headers` holds the table view the
// result points into.
amqp_basic_properties_t publish_basic_properties(const publish_properties& properties,
                                                 std::optional<table_view>& headers) {
  amqp_basic_properties_t p{};
  p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
             AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_APP_ID_FLAG;
  p.content_type = bytes(properties.content_type);
  p.type = bytes(properties.type);
  p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  p.priority = 0;
  p.app_id = bytes("swpt_stomp");
  if (properties.headers != nullptr) {
    headers.emplace(*properties.headers);
    p._flags |= AMQP_BASIC_HEADERS_FLAG;
    p.headers = headers->get();
  }
  return p;
}

// AMQP 0-9-1 §4.2.3: type, channel, payload size, payload, frame-end.
constexpr std::size_t frame_overhead = 8;

void put_big_endian(char* at, std::uint64_t value, int size) noexcept {
  for (int i = size - 1; i >= 0; --i, value >>= 8) at[i] = static_cast<char>(value & 0xFF);
}

// Appends one frame whose payload `fill` encodes into the room it is given
// (at most the frame's payload limit) and returns the length of, or a
// negative rabbitmq-c status.
template <class Fill>
void append_frame(std::string& out, std::uint8_t type, amqp_channel_t channel, std::size_t frame_max,
                  std::string_view what, Fill fill) {
  const auto start = out.size();
  out.resize(start + frame_max);
  char* frame = out.data() + start;
  const int length = fill(frame + 7, frame_max - frame_overhead);
  if (length < 0) throw error{fmt::format("encoding {}: {}", what, amqp_error_string2(length))};
  frame[0] = static_cast<char>(type);
  put_big_endian(frame + 1, channel, 2);
  put_big_endian(frame + 3, static_cast<std::uint32_t>(length), 4);
  frame[7 + length] = static_cast<char>(AMQP_FRAME_END);
  out.resize(start + 7 + static_cast<std::size_t>(length) + 1);
}

}  // namespace

int send_publish(amqp_connection_state_t state, amqp_channel_t channel, std::string_view exchange,
                 std::string_view routing_key, const publish_properties& properties, std::string_view body,
                 bool mandatory) {
  std::optional<table_view> headers;
  auto p = publish_basic_properties(properties, headers);
  return amqp_basic_publish(state, channel, bytes(exchange), bytes(routing_key), mandatory,
                            /*immediate=*/false, &p, bytes(body));
}

void encode_publish(std::string& out, amqp_channel_t channel, std::size_t frame_max, std::string_view exchange,
                    std::string_view routing_key, const publish_properties& properties, std::string_view body,
                    bool mandatory) {
  amqp_basic_publish_t method{0, bytes(exchange), bytes(routing_key), mandatory ? 1 : 0, 0};
  append_frame(out, AMQP_FRAME_METHOD, channel, frame_max, "basic.publish", [&](char* at, std::size_t room) {
    put_big_endian(at, AMQP_BASIC_PUBLISH_METHOD, 4);
    const int n = amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &method, {room - 4, at + 4});
    return n < 0 ? n : n + 4;
  });
  std::optional<table_view> headers;
  auto p = publish_basic_properties(properties, headers);
  append_frame(out, AMQP_FRAME_HEADER, channel, frame_max, "a content header", [&](char* at, std::size_t room) {
    put_big_endian(at, AMQP_BASIC_CLASS, 2);
    put_big_endian(at + 2, 0, 2);  // weight
    put_big_endian(at + 4, body.size(), 8);
    const int n = amqp_encode_properties(AMQP_BASIC_CLASS, &p, {room - 12, at + 12});
    return n < 0 ? n : n + 12;
  });
  const std::size_t chunk = frame_max - frame_overhead;
  for (std::size_t offset = 0; offset < body.size(); offset += chunk) {
    const auto part = body.substr(offset, chunk);
    char head[7];
    head[0] = static_cast<char>(AMQP_FRAME_BODY);
    put_big_endian(head + 1, channel, 2);
    put_big_endian(head + 3, part.size(), 4);
    out.append(head, sizeof head).append(part).push_back(static_cast<char>(AMQP_FRAME_END));
  }
}

void connection::publish(std::string_view exchange, std::string_view routing_key,
                         const publish_properties& properties, std::string_view body, bool mandatory) {
  const int rc = send_publish(state_, channel, exchange, routing_key, properties, body, mandatory);
  if (rc != AMQP_STATUS_OK) fail("publishing", rc);
}

void connection::ack(std::uint64_t delivery_tag, bool multiple) {
  if (int rc = amqp_basic_ack(state_, channel, delivery_tag, multiple); rc != AMQP_STATUS_OK) fail("acknowledging", rc);
}

void connection::reject(std::uint64_t delivery_tag, bool requeue) {
  if (int rc = amqp_basic_reject(state_, channel, delivery_tag, requeue); rc != AMQP_STATUS_OK) fail("rejecting", rc);
}

bool connection::has_buffered_frames() const noexcept {
  return amqp_frames_enqueued(state_) != 0 || amqp_data_in_buffer(state_) != 0;
}

std::optional<amqp_frame_t> connection::poll(std::chrono::milliseconds timeout) {
  amqp_frame_t frame;
  timeval tv = to_timeval(timeout);
  const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &tv);
  if (rc == AMQP_STATUS_TIMEOUT) return std::nullopt;
  if (rc != AMQP_STATUS_OK) fail("reading from the broker", rc);
  if (frame.frame_type == AMQP_FRAME_METHOD) {
    switch (frame.payload.method.id) {
      case AMQP_CONNECTION_CLOSE_METHOD: {
        broken_ = true;
        const auto* m = static_cast<const amqp_connection_close_t*>(frame.payload.method.decoded);
        amqp_connection_close_ok_t ok{};
        amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        throw error{fmt::format("the broker closed the connection: {} {}", m->reply_code, text(m->reply_text))};
      }
      case AMQP_CHANNEL_CLOSE_METHOD: {
        broken_ = true;
        const auto* m = static_cast<const amqp_channel_close_t*>(frame.payload.method.decoded);
        amqp_channel_close_ok_t ok{};
        amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        throw error{fmt::format("the broker closed the channel: {} {}", m->reply_code, text(m->reply_text))};
      }
      default:
        break;
    }
  }
  return frame;
}

content connection::read_content(const amqp_frame_t& method) {
  content result;
  if (method.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
    const auto* m = static_cast<const amqp_basic_deliver_t*>(method.payload.method.decoded);
    result.delivery_tag = m->delivery_tag;
    result.exchange = text(m->exchange);
    result.routing_key = text(m->routing_key);
  } else if (method.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
    const auto* m = static_cast<const amqp_basic_return_t*>(method.payload.method.decoded);
    result.exchange = text(m->exchange);
    result.routing_key = text(m->routing_key);
  }
  amqp_message_t message;
  const amqp_rpc_reply_t reply = amqp_read_message(state_, channel, &message, 0);
  check_reply(reply, "reading a message");
  const auto& p = message.properties;
  if ((p._flags & AMQP_BASIC_TYPE_FLAG) != 0) result.type = text(p.type);
  if ((p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) != 0) result.content_type = text(p.content_type);
  result.body = text(message.body);
  amqp_destroy_message(&message);
  return result;
}

void connection::release_buffers() noexcept { amqp_maybe_release_buffers(state_); }

}  // namespace swpt::amqp

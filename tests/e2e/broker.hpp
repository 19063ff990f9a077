#pragma once
// A blocking RabbitMQ client for the end-to-end tests (rabbitmq-c, one
// connection, one channel): declares and checks the objects a test needs,
// publishes the messages a node application would, and takes messages out
// of queues with every property and header as it came off the wire.
// Written for the tests only; independent of src/amqp.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace swpt::e2e {

// An argument of a declare or bind (x-dead-letter-exchange, x-match, ...),
// or a header to publish. Strings go as long strings (S), integers as
// signed 64-bit (l), booleans as t.
struct table_entry {
  std::string name;
  std::variant<std::string, std::int64_t, bool> value;
};
using table = std::vector<table_entry>;

// One header of a received message, decoded. `kind` is the AMQP field type
// letter as rabbitmq-c reads it: t boolean, b/s/I/l signed 8/16/32/64-bit,
// B/u/i/L unsigned 8/16/32/64-bit, S long string, x byte array, f/d float,
// T timestamp, F table, A array, D decimal, V void.
struct header {
  std::string name;
  char kind = 'V';
  std::string text;          // S and x
  std::int64_t integer = 0;  // every integer kind and T (L above 2^63 wraps)
  bool boolean = false;      // t

  // "name:kind:value", e.g. "creditor-id:l:1099511627777",
  // "ca-creditors:t:true", "message-type:S:PrepareTransfer".
  std::string to_string() const;
};

struct message {
  std::string exchange;
  std::string routing_key;
  bool redelivered = false;
  std::string body;
  // The properties present on the wire, by their AMQP names, in the order of
  // the property flags: content_type, content_encoding, headers,
  // delivery_mode, priority, correlation_id, reply_to, expiration,
  // message_id, timestamp, type, user_id, app_id, cluster_id.
  std::vector<std::string> properties;
  std::string content_type;
  std::string type;
  std::string app_id;
  int delivery_mode = 0;
  int priority = 0;
  std::vector<header> headers;  // in wire order

  // headers as header::to_string() each, in wire order.
  std::vector<std::string> header_strings() const;
  bool has_property(std::string_view name) const;
};

struct publish_options {
  std::string type;                             // the `type` property; none if empty
  std::string content_type = "application/json";  // none if empty
  bool persistent = true;                       // delivery_mode 2
  table headers{};
};

// Thrown when the broker closes the channel or the connection, or the
// connection fails; what() holds the broker's reply text when there is one.
class broker_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class broker_client {
 public:
  // amqp://user:pass@host:port/vhost; throws broker_error.
  explicit broker_client(const std::string& url);
  ~broker_client();
  broker_client(const broker_client&) = delete;
  broker_client& operator=(const broker_client&) = delete;

  // Durable, not auto-delete, not internal. The try_ forms return the
  // broker's refusal ("" on success) and leave the client usable, so a test
  // can check that an existing object has exactly these type and arguments
  // (RabbitMQ refuses a redeclaration that differs: PRECONDITION_FAILED).
  void declare_exchange(const std::string& name, const std::string& type, const table& args = {});
  std::string try_declare_exchange(const std::string& name, const std::string& type, const table& args = {});
  bool exchange_exists(const std::string& name);  // passive declare

  // Durable classic queue, not exclusive, not auto-delete.
  void declare_queue(const std::string& name, const table& args = {});
  std::string try_declare_queue(const std::string& name, const table& args = {});
  // Ready messages (not those delivered and unacknowledged); nullopt when
  // the queue does not exist.
  std::optional<std::uint32_t> message_count(const std::string& queue);

  void bind_queue(const std::string& queue, const std::string& exchange, const std::string& key,
                  const table& args = {});
  void purge(const std::string& queue);

  // The channel is in confirm mode. publish() does not wait; confirm()
  // waits until the broker has confirmed everything published so far and
  // throws broker_error if it refused any (a nack, or a mandatory message
  // returned as unroutable). Every other call confirms first.
  void publish(const std::string& exchange, const std::string& routing_key, const std::string& body,
               const publish_options& options, bool mandatory = false);
  void confirm();

  // basic.get; the message is acknowledged once read.
  std::optional<message> get(const std::string& queue);
  // Everything the queue holds now.
  std::vector<message> get_all(const std::string& queue);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// The smallest AMQP integer type of docs/message-processing.md §3 for a header
// value: b, s, u, I, i or l.
char integer_kind(std::int64_t value) noexcept;

}  // namespace swpt::e2e

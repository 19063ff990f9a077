#pragma once
// One AMQP 0.9.1 connection with one channel, on rabbitmq-c, for blocking
// work: configure-queue and the tests. Not thread-safe: a connection
// belongs to one thread for its whole life. Every failure throws
// amqp::error with what was being done. (The long-lived connections are
// the broker workers', worker.hpp, which share the helpers below.)

#include "amqp/broker_url.hpp"
#include "core/processing.hpp"

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::amqp {

using namespace std::chrono_literals;

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An AMQP field table as the programs write it: ordered entries whose
// integers are encoded with the smallest fitting AMQP type
// (docs/message-processing.md §3), booleans as `t`, strings as `S`.
using field_table = std::vector<std::pair<std::string, header_value>>;

struct connection_settings {
  broker_url url;
  // Connecting, logging in, opening the channel, and every RPC
  // (APP_RMQ_CONNECTION_TIMEOUT_SECONDS).
  std::chrono::milliseconds timeout = 10s;
  // Negotiated with the broker; rabbitmq-c answers it only inside library
  // calls, so the owner must call poll() at least every heartbeat / 2.
  // Never 0: that would turn heartbeats off and hide a half-open link.
  std::chrono::seconds heartbeat = 30s;
  // The largest frame either side sends. rabbitmq-c decodes every channel's
  // frames into a pool of pages this size, kept until the connection ends:
  // a thousand channels at the 128 KiB default would hold 128 MiB. 4096 is
  // AMQP's smallest (every broker accepts it) and holds a typical SMP
  // message; larger ones (a STOMP body has at most 8192 bytes) simply span
  // several body frames.
  int frame_max = 4096;
  std::string name = "swpt-stomp";  // shown in the broker's connection list
};

// What the STOMP server publishes with every message.
struct publish_properties {
  std::string_view content_type;
  std::string_view type;
  const std::vector<std::pair<std::string_view, header_value>>* headers = nullptr;
};

// A message read from the connection (a delivery or a returned message).
struct content {
  std::string body;
  std::optional<std::string> type;
  std::optional<std::string> content_type;
  std::string exchange, routing_key;
  std::uint64_t delivery_tag = 0;  // deliveries only
};

// Connects and logs in (heartbeats, frame_max, consumer-cancel and
// connection.blocked notifications, the connection name), with no channel
// open. The caller owns the result (amqp_destroy_connection). Throws
// amqp::error.
amqp_connection_state_t open_connection(const connection_settings& settings);

// Sends basic.publish with the properties the programs always set
// (persistent, app_id swpt_stomp). Returns rabbitmq-c's status.
int send_publish(amqp_connection_state_t state, amqp_channel_t channel, std::string_view exchange,
                 std::string_view routing_key, const publish_properties& properties, std::string_view body,
                 bool mandatory);

// Appends the frames send_publish would write (basic.publish, the content
// header, the body in frames of at most `frame_max` bytes) to `out`, so
// that many publishes can leave in one write. Throws amqp::error when a
// method or header does not fit a frame.
void encode_publish(std::string& out, amqp_channel_t channel, std::size_t frame_max, std::string_view exchange,
                    std::string_view routing_key, const publish_properties& properties, std::string_view body,
                    bool mandatory);

// Copies of rabbitmq-c's byte ranges, and views of ours for it.
std::string text(amqp_bytes_t b);
amqp_bytes_t bytes(std::string_view s) noexcept;

class connection {
 public:
  static constexpr amqp_channel_t channel = 1;

  // Connects, logs in (with consumer-cancel notifications) and opens the
  // channel. Throws amqp::error.
  explicit connection(const connection_settings& settings);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  int fd() const noexcept;
  amqp_connection_state_t native() const noexcept { return state_; }

  // Topology (RPCs). `passive` only checks that the object exists.
  void declare_exchange(std::string_view name, std::string_view type, const field_table& arguments = {},
                        bool passive = false);
  // Returns the number of ready messages in the queue.
  std::uint32_t declare_queue(std::string_view name, const field_table& arguments = {}, bool passive = false);
  void bind_queue(std::string_view queue, std::string_view exchange, std::string_view key,
                  const field_table& arguments = {});
  void bind_exchange(std::string_view destination, std::string_view source, std::string_view key);
  void delete_queue(std::string_view name);
  void delete_exchange(std::string_view name);

  void set_prefetch(std::uint16_t count);
  void enable_confirms();
  void consume(std::string_view queue);

  // Not RPCs: written at once (blocking only while the socket is full or
  // the broker applies flow control).
  void publish(std::string_view exchange, std::string_view routing_key, const publish_properties& properties,
               std::string_view body, bool mandatory);
  void ack(std::uint64_t delivery_tag, bool multiple);
  void reject(std::uint64_t delivery_tag, bool requeue);

  // True when frames are already buffered, so poll() returns without
  // touching the socket.
  bool has_buffered_frames() const noexcept;

  // The next frame, or nullopt when none arrives within `timeout` (zero:
  // only what is already there). Services heartbeats. Throws amqp::error
  // when the connection is lost or the broker closes it or the channel.
  std::optional<amqp_frame_t> poll(std::chrono::milliseconds timeout);

  // The header and body frames that follow a basic.deliver or
  // basic.return method frame.
  content read_content(const amqp_frame_t& method);

  // Frees the memory of the frames read so far (call between messages).
  void release_buffers() noexcept;

 private:
  void check_rpc(std::string_view what);
  void check_reply(const amqp_rpc_reply_t& reply, std::string_view what);
  [[noreturn]] void fail(std::string_view what, int status);

  amqp_connection_state_t state_;
  std::chrono::milliseconds timeout_;
  bool broken_ = false;  // closed by the broker or the network: no polite close
};

}  // namespace swpt::amqp

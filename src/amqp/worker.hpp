#pragma once
// A broker worker: one thread owning one rabbitmq-c connection that serves
// many channels through its own frame loop. Methods go out with
// amqp_send_method and their -ok replies come back as frames like any other,
// because rabbitmq-c's blocking RPC helpers would stall every other channel
// while they wait. The worker reconnects by itself (exponential backoff,
// full jitter) and opens its users' channels again.
//
// Thread contract: attach(), detach(), notify(), stop() and the observers
// may be called from any thread; every channel_user callback runs on the
// worker thread, one at a time, and may use the channel_ops it is given
// only during the call.
//
// A process that serves one queue or one publisher (the upstream commands)
// can run the frame loop on its io_context instead (start_inline): the
// worker and the session then share one thread, and a hand-off between them
// wakes nobody. Each wake-up costs a sleeping thread tens of microseconds
// here, so this halves what a message costs such a process in wake-ups.
//
// Idle costs nothing: the thread sleeps in poll(2) on the socket and an
// eventfd until the next deadline (heartbeat / 2, a user's deadline, a
// reopen or the backoff). Writes never wait for the broker without bound:
// users ask room() before a large write, the kernel drops a link whose data
// stays unacknowledged (TCP_USER_TIMEOUT) and missing heartbeats end the
// connection.

#include "amqp/connection.hpp"
#include "amqp/wakeup.hpp"
#include "log/log.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace swpt::amqp {

using clock = std::chrono::steady_clock;

struct worker_settings {
  connection_settings connection;
  // Reconnection delays: full jitter below a ceiling that doubles from
  // `min_backoff` up to `max_backoff` while the broker stays away.
  std::chrono::milliseconds min_backoff = 500ms, max_backoff = 30s;
  // Channels on one connection; RabbitMQ allows 2047.
  std::size_t max_channels = 200;
};

class broker_worker;
class backoff;

// One channel as its user sees it, valid during one callback.
class channel_ops {
 public:
  channel_ops(broker_worker& w, amqp_channel_t number) noexcept : worker_{w}, number_{number} {}
  amqp_channel_t number() const noexcept { return number_; }
  // False while channel.open-ok is awaited or after the channel closed:
  // then only the connection is there.
  bool open() const noexcept;
  amqp_connection_state_t native() const noexcept;
  // Each throws amqp::error when the write fails; the worker then treats
  // the connection as lost.
  void send(amqp_method_number_t method, void* decoded);
  void publish(std::string_view exchange, std::string_view routing_key, const publish_properties& properties,
               std::string_view body, bool mandatory);
  void ack(std::uint64_t delivery_tag, bool multiple);
  void reject(std::uint64_t delivery_tag, bool requeue);
  // Closes the channel for good (the user stays attached, idle).
  void close();
  // How many bytes more can be written without waiting for the broker
  // (SIZE_MAX when the kernel cannot tell). Two system calls: ask once per
  // batch of writes and count down. When a write does not fit,
  // want_write() asks for a woken() call once the socket drains.
  std::size_t writable() const noexcept;
  bool room(std::size_t bytes) const noexcept { return bytes <= writable(); }
  void want_write() noexcept;
  // Whether this connection takes frames encoded by the caller
  // (encode_publish) through write_frames(): plain TCP, where many frames
  // can leave in one system call; not TLS, whose stream rabbitmq-c keeps.
  bool takes_frames() const noexcept;
  std::size_t frame_max() const noexcept;
  // Writes whole frames of this channel at once (within writable(): a
  // write that waits longer than the connection timeout throws, as every
  // failed write does).
  void write_frames(std::string_view frames);
  // While corked, what is written waits in the kernel until uncorked (or a
  // full segment): a batch of publishes leaves in a few TCP segments
  // rather than one or more each, which the broker reads and acknowledges
  // one by one. Uncork before returning from the callback.
  void cork(bool on) noexcept;

 private:
  broker_worker& worker_;
  amqp_channel_t number_;
};

// What uses one channel of a worker. Every callback runs on the worker
// thread (see the contract above).
class channel_user {
 public:
  virtual ~channel_user() = default;
  // channel.open-ok, after every (re)connection: send the setup methods.
  virtual void opened(channel_ops& ch) = 0;
  // Any other frame of the channel (methods, content headers and bodies).
  virtual void frame(channel_ops& ch, const amqp_frame_t& f) = 0;
  // After one or more frame() calls, once the worker has read everything
  // the broker had sent so far: a user that gathers what it reads hands it
  // on here, one batch per read rather than one hand-off per frame.
  virtual void frames_read(channel_ops& /*ch*/) {}
  // The broker closed the channel (the worker answered close-ok). Returns
  // after how long to open it again, or nullopt to leave it closed.
  virtual std::optional<std::chrono::milliseconds> closed(std::uint16_t code, std::string_view text) = 0;
  // The connection ended or could not be made; the channel is gone and is
  // opened again after the reconnection.
  virtual void disconnected(std::string_view why) = 0;
  // connection.blocked / connection.unblocked (a resource alarm).
  virtual void blocked(bool) {}
  // notify() was called, or deadline() passed, or room came back. `ch` is
  // null while there is no connection (between attempts); see also
  // channel_ops::open().
  virtual void woken(channel_ops* ch) = 0;
  virtual clock::time_point deadline() const { return clock::time_point::max(); }
  // detach() or stop(): last writes (acknowledgements) before channel.close;
  // `ch` is null when the channel is not open.
  virtual void detaching(channel_ops* /*ch*/) {}
  // The channel is closed for good and the worker lets go of the user.
  virtual void detached() {}
};

class broker_worker {
 public:
  // Starts the thread, which connects at once.
  broker_worker(worker_settings settings, log::logger logger);
  // Runs the frame loop as a coroutine on `ex`, whose io_context one thread
  // runs: the "worker thread" of the contract above is that thread. Only
  // the connection attempts block, so they run on a helper thread of the
  // worker's. The coroutine holds the worker until it ends (stop(), or the
  // io_context's destruction).
  static std::shared_ptr<broker_worker> start_inline(worker_settings settings, log::logger logger,
                                                     asio::any_io_executor ex);
  // A threaded worker: stop() and join, blocking the caller; bounded, as
  // stop() is. An inline one has ended by now.
  ~broker_worker();
  broker_worker(const broker_worker&) = delete;
  broker_worker& operator=(const broker_worker&) = delete;

  // Gives `user` a channel of its own until detach(). False when the worker
  // has no channel left or is stopping.
  bool attach(std::shared_ptr<channel_user> user);
  // Flushes (detaching()), closes the channel and lets go of the user.
  void detach(const std::shared_ptr<channel_user>& user);
  // Asks for a woken() call on the worker thread.
  void notify(channel_user* user);

  // Ends the thread: users get detaching() and detached(), the connection
  // is closed politely. The awaitable completes once the thread is done:
  // within the connection timeout (an attempt in progress) and a second
  // for the polite close; past that bound the socket is shut down under
  // the thread, whatever it waits for.
  void request_stop() noexcept;
  asio::awaitable<void> stop();

  std::size_t channel_count() const noexcept { return channels_; }
  bool connected() const noexcept { return connected_; }
  const worker_settings& settings() const noexcept { return settings_; }

 private:
  friend class channel_ops;
  struct slot;
  struct commands;
  struct inline_loop;
  struct inline_tag {};

  broker_worker(worker_settings settings, log::logger logger, inline_tag);
  void run() noexcept;
  asio::awaitable<void> run_inline(std::shared_ptr<broker_worker> self);
  asio::awaitable<void> connect_aside();
  asio::awaitable<bool> wait_inline(clock::time_point deadline);  // true: the socket has input
  asio::awaitable<void> close_inline();
  void connect();
  void serve();
  bool serve_round();  // true: nothing is buffered, the loop may sleep
  clock::time_point lost(const std::string& why, backoff& delays) noexcept;  // when to try again
  // Between attempts: whether to wait on until `retry_at` (no stop came);
  // takes the commands that came meanwhile, so a detach need not wait.
  bool awaiting_retry(clock::time_point retry_at);
  void open_wanted();
  void wake() noexcept;
  bool begin_close() noexcept;  // true: wait for close-ok
  // One frame while close-ok is awaited: true once the close is done,
  // nullopt when nothing has come (wait for the socket).
  std::optional<bool> read_close() noexcept;
  void end_close() noexcept;
  void take_commands();
  void open(slot& s);
  void dispatch(const amqp_frame_t& f);
  void frames_read();
  void on_connection_frame(const amqp_frame_t& f);
  void close_politely() noexcept;
  void lose_connection(std::string_view why) noexcept;
  bool wait_socket(clock::time_point deadline) noexcept;  // true: the socket has input
  void wait_idle(clock::time_point deadline) noexcept;      // disconnected: the eventfd only
  void release(amqp_channel_t number);
  clock::time_point next_deadline() const;
  void finish() noexcept;
  bool finished() noexcept;
  clock::duration stop_bound() const noexcept;
  void cut() noexcept;  // shuts the socket down from another thread
  void set_socket(int fd) noexcept;
  [[noreturn]] void fail(std::string_view what, int status);

  const worker_settings settings_;
  log::logger logger_;
  wakeup wake_;

  // Between the threads.
  std::mutex mutex_;
  std::vector<std::shared_ptr<channel_user>> to_attach_, to_detach_;  // guarded by mutex_
  std::vector<channel_user*> to_wake_;                                // guarded by mutex_
  bool stopping_ = false;                                             // guarded by mutex_
  bool finished_ = false;                                             // guarded by mutex_
  std::vector<std::function<void()>> on_finished_;                    // guarded by mutex_
  std::condition_variable finished_changed_;
  int socket_fd_ = -1;  // guarded by mutex_: for cut(), -1 while there is no connection
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::size_t> channels_{0};
  std::atomic<bool> connected_{false};

  // Worker thread only.
  amqp_connection_state_t state_ = nullptr;
  std::map<amqp_channel_t, slot> slots_;
  std::vector<amqp_channel_t> fed_;  // channels given frames since the last frames_read()
  bool want_write_ = false;
  clock::time_point last_input_{};

  std::thread thread_;
  std::unique_ptr<inline_loop> inline_;  // an inline worker's
};

}  // namespace swpt::amqp

#include "session/server.hpp"

#include "async/race.hpp"
#include "log/untrusted.hpp"
#include "session/chain_binding.hpp"
#include "session/connection.hpp"
#include "session/identity.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <openssl/ssl.h>

#include <cassert>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

namespace swpt::session {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view default_content_type = "application/octet-stream";

bool accepts_stomp_12(std::string_view versions) {
  while (!versions.empty()) {
    const auto comma = versions.find(',');
    if (versions.substr(0, comma) == "1.2") return true;
    if (comma == std::string_view::npos) break;
    versions.remove_prefix(comma + 1);
  }
  return false;
}

clock::duration random_fraction_of(clock::duration period) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return clock::duration{std::uniform_int_distribution<clock::rep>{0, period.count()}(rng)};
}

}  // namespace

// One accepted connection, from the TLS handshake to the close.
class server_session final : public connection {
 public:
  server_session(server& owner, tls_socket stream)
      : connection{std::move(stream), owner.settings_.times, owner.settings_.limits, owner.logger_},
        owner_{owner},
        confirmations_{this->stream().get_executor()} {}

  const std::string& peer_id() const noexcept { return peer_id_; }

  // `slot` is the connection's share of the server's caps; its handshake
  // part is given back when the handshake ends.
  asio::awaitable<void> start(connection_limiter::slot& slot);

  // The graceful stop (server::stop): reading stops at once; what was
  // received may be confirmed until `grace` has passed; then the last
  // RECEIPT and the server's ERROR. Before the session runs its protocol
  // (handshake, admission) it is merely remembered.
  void request_stop(duration grace) {
    if (stop_requested_) return;
    stop_requested_ = true;
    stop_deadline_ = clock::now() + grace;
    stop_reading();
    confirmations_.notify();  // a reader paused by flow control stops waiting
  }

  // Sends ERROR with `message` (and, for a rejected message, its context)
  // and closes. Later failures of a closing session are not reported.
  void fail(std::string_view message) {
    if (closing()) return;
    logger().warning("Protocol error: {} ({})", log::untrusted(message), remote());
    before_write();  // a receipt already due goes out before the ERROR, which must be last
    send("ERROR", {{"message", message}});
    close();
  }

 private:
  struct rejected {
    std::string_view receipt, type, content_type, body;
  };
  struct pending {
    std::string receipt;
    bool confirmed = false;
  };

  void fail(std::string_view message, const rejected& m) {
    if (closing()) return;
    logger().warning("Protocol error: {} ({})", log::untrusted(message), remote());
    before_write();
    send("ERROR",
         {{"message", message}, {"receipt-id", m.receipt}, {"type", m.type}, {"content-type", m.content_type}},
         m.body);
    close();
  }

  asio::awaitable<void> admit();
  asio::awaitable<void> protocol();
  asio::awaitable<void> finish();
  asio::awaitable<void> connect_deadline();
  asio::awaitable<void> on_frame(const stomp::frame_view& f);
  void on_connect(const stomp::frame_view& f);
  asio::awaitable<void> on_send(const stomp::frame_view& f);
  void on_disconnect(const stomp::frame_view& f);
  asio::awaitable<bool> peer_still_active();
  message_sink::confirm_handler confirm_handler(std::uint64_t seq);
  void take_confirmations();
  void on_confirmed(std::uint64_t seq, std::error_code ec);
  void before_write() override;
  void on_silence(double seconds) override {
    fail(fmt::format("No data received for {:.3f} seconds.", seconds));
  }

  server& owner_;
  std::string peer_id_;
  std::optional<active_peer> peer_;
  std::string expected_destination_;  // "/exchange/<the owner's *_in exchange>"
  bool admitted_ = false;
  bool connected_ = false;
  std::optional<std::string> disconnect_receipt_;
  std::optional<std::string> receipt_due_;  // the newest confirmed, not yet receipted

  // Received messages not yet receipted, oldest first; pending_.front() has
  // sequence number first_seq_. The sink confirms by sequence number.
  std::deque<pending> pending_;
  std::uint64_t first_seq_ = 0;
  event confirmations_;  // the reader waits here while the buffer is full
  // Confirmations from the sink's thread, on their way to this executor:
  // one post per batch (the broker confirms many publishes at once), not
  // one wake-up of this thread per message.
  struct confirmation_queue {
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, std::error_code>> items;  // guarded by mutex
  };
  const std::shared_ptr<confirmation_queue> confirmed_ = std::make_shared<confirmation_queue>();
  clock::time_point next_peer_check_;
  bool stop_requested_ = false;
  clock::time_point stop_deadline_;

  friend class server;
};

asio::awaitable<void> server_session::start(connection_limiter::slot& slot) {
  asio::steady_timer timer{stream().get_executor(), times().handshake_timeout};
  auto outcome = co_await (stream().handshake(tls_socket::role::server) || timer.async_wait(nothrow));
  slot.handshake_done();
  // Anyone can fail a handshake, as often as they like: no line each.
  if (outcome.index() == 1) co_return owner_.admission_log_.handshake_failed(remote(), "timed out");
  if (auto ec = std::get<0>(outcome)) co_return owner_.admission_log_.handshake_failed(remote(), ec.message());
  logger().info("Opened STOMP connection to {}", remote());
  co_await admit();
  if (stop_requested_) fail("The connection has been closed by the server.");
  co_await run(protocol());
  logger().info("Closed STOMP connection to {}", remote());
}

// docs/stomp.md §3.5. Unlike the original, which answers only after
// CONNECT, a refused peer gets its ERROR right after the handshake.
asio::awaitable<void> server_session::admit() {
  auto id = node_id_of(SSL_get0_peer_certificate(stream().native_handle()));
  if (!id) co_return fail("Invalid certificate subject.");
  peer_id_ = std::move(*id);
  try {
    peer_ = co_await owner_.peers_.find_active(peer_id_);
  } catch (const std::exception& e) {
    logger().error("Peer lookup failed for {}: {}", peer_id_, e.what());
    co_return fail("Internal server error.");
  }
  if (!peer_) co_return fail("Unknown peer serial number.");
  // The serialNumber alone proves nothing: the chain must run through the
  // peer certificate we issued to this very peer.
  if (!client_chain_is_bound(stream().native_handle(), peer_->root_ca_pem))
    co_return fail("Invalid certificate subject.");
  if (!owner_.admit(*this)) co_return fail("Too many connections from one peer.");
  admitted_ = true;
  add_log_field("peer", peer_id_);
  expected_destination_ = fmt::format("/exchange/{}", inbound_exchange(peer_->peering.owner_type));
  next_peer_check_ = clock::now() + random_fraction_of(owner_.settings_.peer_check_period);
}

asio::awaitable<void> server_session::protocol() {
  auto frames = [this]() -> asio::awaitable<void> {
    const std::size_t buffer = owner_.settings_.buffer;
    while (!closing() && !stop_requested_) {
      // Flow control (docs/stomp.md §7): stop reading at `buffer`
      // unconfirmed messages and resume as soon as a confirmation makes
      // room. (The original waits until a quarter are left: with a client
      // that keeps as many in flight, the window empties every cycle and
      // the broker idles.) Slow confirmations do not make the peer silent.
      if (pending_.size() >= buffer) {
        pause_silence_count();
        while (pending_.size() >= buffer && !closing() && !stop_requested_) co_await confirmations_.wait();
        resume_silence_count();
      }
      auto next = co_await read_frame();
      if (auto* failed = std::get_if<read_failure>(&next)) {
        if (failed->protocol) fail(failed->error.message());
        co_return;
      }
      co_await on_frame(std::get<stomp::frame_view>(next));
    }
  };
  // run() needs the protocol to end at close(): hence until_closing().
  co_await async::race(frames(), connect_deadline(), until_closing());
  if (stop_requested_) co_await finish();
}

// The end of a graceful stop: nothing more is read (stop_reading), so the
// peer's silence does not count; what was received gets its RECEIPT if the
// sink confirms it in time.
asio::awaitable<void> server_session::finish() {
  pause_silence_count();
  auto all_confirmed = [this]() -> asio::awaitable<void> {
    while (!pending_.empty() && !closing()) co_await confirmations_.wait();
  };
  asio::steady_timer deadline{stream().get_executor(), stop_deadline_};
  co_await (all_confirmed() || deadline.async_wait(nothrow));
  fail("The connection has been closed by the server.");
}

asio::awaitable<void> server_session::connect_deadline() {
  asio::steady_timer timer{stream().get_executor(), times().connect_timeout};
  co_await timer.async_wait(nothrow);
  if (!connected_ && !closing()) {
    logger().warning("Protocol error: No response from peer. ({})", remote());
    close();
  }
  co_await until_closing();
}

asio::awaitable<void> server_session::on_frame(const stomp::frame_view& f) {
  if (disconnect_receipt_) co_return fail("Received command after DISCONNECT.");
  if (f.command == "CONNECT" || f.command == "STOMP") co_return on_connect(f);
  if (f.command == "SEND") {
    if (!connected_) co_return fail("Received another command before CONNECT.");
    co_return co_await on_send(f);
  }
  if (f.command == "DISCONNECT") {
    if (!connected_) co_return fail("Received DISCONNECT before CONNECT.");
    co_return on_disconnect(f);
  }
  fail(fmt::format("Received unexpected command \"{}\".", f.command));
}

void server_session::on_connect(const stomp::frame_view& f) {
  if (connected_) return fail("Received CONNECT command more than once.");
  if (!accepts_stomp_12(f.header("accept-version").value_or("")))
    return fail("STOMP 1.2 is not supported by the client.");
  const auto peer_heartbeat = stomp::parse_heartbeat(f.header("heart-beat").value_or("0,0"));
  if (!peer_heartbeat) return fail("Received invalid heart-beat value.");
  connected_ = true;
  // Our own capabilities, as STOMP 1.2 says; each side negotiates for itself.
  const auto own = times().heartbeat;
  send("CONNECTED", {{"version", "1.2"}, {"heart-beat", stomp::format_heartbeat(own)}});
  start_heartbeats(stomp::negotiate(own, *peer_heartbeat));
}

asio::awaitable<void> server_session::on_send(const stomp::frame_view& f) {
  for (std::string_view required : {"receipt", "type", "destination"})
    if (!f.header(required)) co_return fail(fmt::format("SEND command without a {} header.", required));
  const rejected m{*f.header("receipt"), *f.header("type"), f.header("content-type").value_or(default_content_type),
                   f.body};
  const auto destination = *f.header("destination");
  if (destination != expected_destination_)
    co_return fail(fmt::format("Invalid SEND destination \"{}\".", destination), m);

  auto message = process_received(peer_->peering, m.content_type, m.type, m.body, std::chrono::system_clock::now());
  if (!message) co_return fail(message.error(), m);

  std::string receipt{m.receipt};  // the frame view ends at the next suspension
  if (!co_await peer_still_active()) co_return;
  pending_.push_back({std::move(receipt)});
  try {
    // Named: GCC 12 may destroy a temporary made inside co_await twice.
    auto confirmed = confirm_handler(first_seq_ + pending_.size() - 1);
    co_await owner_.sink_.submit(std::move(*message), std::move(confirmed));
  } catch (const std::exception& e) {
    logger().error("Message from {} not taken: {}", peer_id_, e.what());
    fail("Internal server error.");
  }
}

void server_session::on_disconnect(const stomp::frame_view& f) {
  const auto receipt = f.header("receipt");
  if (!receipt) return close();
  if (pending_.empty()) {
    receipt_due_.reset();  // this RECEIPT confirms everything before it, too
    send("RECEIPT", {{"receipt-id", *receipt}});
    return close();
  }
  // Answered by on_confirmed once every earlier message is confirmed.
  disconnect_receipt_ = std::string{*receipt};
}

// The periodic re-check of docs/node-database.md §7, made lazily before publishing.
asio::awaitable<bool> server_session::peer_still_active() {
  const auto now = clock::now();
  if (now < next_peer_check_) co_return true;
  next_peer_check_ = now + owner_.settings_.peer_check_period;
  try {
    if (!co_await owner_.peers_.find_active(peer_id_)) {
      fail("The peer has been deactivated.");
      co_return false;
    }
  } catch (const std::exception& e) {
    logger().error("Peer lookup failed for {}: {}", peer_id_, e.what());
    fail("Internal server error.");
    co_return false;
  }
  co_return true;
}

message_sink::confirm_handler server_session::confirm_handler(std::uint64_t seq) {
  // The sink may call from its own thread, after this session has ended.
  auto weak = std::weak_ptr<server_session>{std::static_pointer_cast<server_session>(shared_from_this())};
  return [weak, seq, queue = confirmed_, ex = stream().get_executor()](std::error_code ec) {
    bool first = false;
    {
      std::lock_guard lock{queue->mutex};
      first = queue->items.empty();
      queue->items.emplace_back(seq, ec);
    }
    // A batch already posted takes this one too.
    if (first) {
      asio::post(ex, [weak] {
        if (auto self = weak.lock()) self->take_confirmations();
      });
    }
  };
}

void server_session::take_confirmations() {
  std::vector<std::pair<std::uint64_t, std::error_code>> batch;
  {
    std::lock_guard lock{confirmed_->mutex};
    batch.swap(confirmed_->items);
  }
  for (const auto& [seq, ec] : batch) on_confirmed(seq, ec);
}

void server_session::on_confirmed(std::uint64_t seq, std::error_code ec) {
  if (closing()) return;
  if (ec) {
    logger().error("Message from {} not stored: {}", peer_id_, ec.message());
    return fail("Internal server error.");
  }
  assert(seq >= first_seq_ && seq - first_seq_ < pending_.size());  // each message confirmed once
  pending_[seq - first_seq_].confirmed = true;
  std::optional<std::string> last;
  for (; !pending_.empty() && pending_.front().confirmed; ++first_seq_) {
    last = std::move(pending_.front().receipt);
    pending_.pop_front();
  }
  if (!last) return;  // an earlier message is still unconfirmed
  if (pending_.size() < owner_.settings_.buffer) confirmations_.notify();
  if (disconnect_receipt_) {
    // After DISCONNECT only its own RECEIPT is sent, once all is confirmed.
    if (!pending_.empty()) return;
    receipt_due_.reset();
    send("RECEIPT", {{"receipt-id", *disconnect_receipt_}});
    return close();
  }
  // Receipts are cumulative: the writer sends one for the newest confirmed
  // message, however many were confirmed since it last wrote.
  receipt_due_ = std::move(last);
  wake_writer();
}

void server_session::before_write() {
  if (receipt_due_) send("RECEIPT", {{"receipt-id", *std::exchange(receipt_due_, std::nullopt)}});
}

server::server(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, server_settings settings,
               peer_directory& peers, message_sink& sink, log::logger logger)
    : ex_{std::move(ex)},
      tls_{std::move(tls)},
      settings_{std::move(settings)},
      peers_{peers},
      sink_{sink},
      logger_{std::move(logger)},
      acceptor_{ex_},
      limiter_{{settings_.max_pending_handshakes, settings_.max_pending_handshakes_per_address,
                settings_.max_connections},
               [this] { slot_freed_.cancel(); }},
      slot_freed_{ex_, asio::steady_timer::time_point::max()},
      admission_log_{logger_},
      tasks_{ex_, logger_} {}

server::~server() = default;

void server::listen() {
  if (!settings_.address.empty()) {
    // One address (a daemon's listener per interface). Throws for a text
    // that is not an IP address.
    const tcp::endpoint at{asio::ip::make_address(settings_.address), settings_.port};
    acceptor_.open(at.protocol());
    if (at.protocol() == tcp::v6()) acceptor_.set_option(asio::ip::v6_only{true});
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(settings_.backlog);
    logger_.info("Started STOMP server at {} port {}.", settings_.address, port());
    return;
  }
  // Every interface: IPv6 with IPv4 mapped where the host has IPv6, else IPv4.
  std::error_code ec;
  acceptor_.open(tcp::v6(), ec);
  if (!ec) acceptor_.set_option(asio::ip::v6_only{false}, ec);
  const auto protocol = ec ? tcp::v4() : tcp::v6();
  if (ec) {
    if (acceptor_.is_open()) acceptor_.close();
    acceptor_.open(tcp::v4());
  }
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(tcp::endpoint{protocol, settings_.port});
  acceptor_.listen(settings_.backlog);
  logger_.info("Started STOMP server at port {}.", port());
}

std::uint16_t server::port() const { return acceptor_.local_endpoint().port(); }

asio::awaitable<void> server::serve() {
  asio::steady_timer backoff{ex_};
  while (acceptor_.is_open()) {
    if (!limiter_.accepting()) {
      admission_log_.paused(limiter_.pending_handshakes(), limiter_.connections());
      while (!limiter_.accepting() && acceptor_.is_open()) co_await slot_freed_.async_wait(nothrow);
      continue;
    }
    auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // Out of file descriptors and the like: let the sessions end some.
      logger_.warning("Accepting a connection failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds{100});
      co_await backoff.async_wait(nothrow);
      continue;
    }
    std::error_code gone;  // reset before we got to it
    const auto source = socket.remote_endpoint(gone).address();
    if (gone) continue;
    auto slot = limiter_.admit(source);
    if (!slot) {
      refuse(socket, source);
      continue;
    }
    tasks_.spawn(handle(std::move(socket), std::move(*slot)), "STOMP session");
  }
  co_await tasks_.wait();
}

void server::refuse(asio::ip::tcp::socket& socket, const asio::ip::address& source) {
  std::error_code ignored;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
  admission_log_.refused(source, settings_.max_pending_handshakes_per_address);
}

asio::awaitable<void> server::handle(asio::ip::tcp::socket socket, connection_limiter::slot slot) {
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  // Held to the end: a context installed meanwhile is for new connections.
  const auto tls = tls_;
  auto session = std::make_shared<server_session>(*this, tls_socket{std::move(socket), *tls});
  sessions_.insert(session);
  struct cleanup {
    server& s;
    std::shared_ptr<server_session>& session;
    ~cleanup() {
      s.forget(*session);
      s.sessions_.erase(session);
    }
  } guard{*this, session};
  // A child of tasks_: its total cancellation is the graceful stop, its
  // terminal cancellation the end at once.
  // Named: g++ 12 destroys the captures of a closure made in a co_await's
  // full-expression twice (harmless for references, not for a copy).
  std::function<void()> graceful = [&] { session->request_stop(stop_grace_); };
  std::function<void()> at_once = [&] { session->abort(); };
  co_await async::run_stoppable(session->start(slot), std::move(graceful), std::move(at_once));
}

asio::awaitable<void> server::stop(duration grace) {
  std::error_code ignored;
  acceptor_.close(ignored);
  slot_freed_.cancel();  // an accept loop waiting for a slot ends
  stop_grace_ = grace;
  co_await tasks_.stop(grace + settings_.times.close_timeout);
}

void server::abort() {
  std::error_code ignored;
  acceptor_.close(ignored);
  slot_freed_.cancel();
  tasks_.emit(asio::cancellation_type::terminal);
}

void server::disconnect_peer(std::string_view node_id, std::string_view reason) {
  const auto it = by_peer_.find(node_id);
  if (it == by_peer_.end()) return;
  for (server_session* s : it->second) s->fail(reason);
}

std::size_t server::connection_count(std::string_view node_id) const {
  const auto it = by_peer_.find(node_id);
  return it == by_peer_.end() ? 0 : it->second.size();
}

bool server::admit(server_session& s) {
  auto& sessions = by_peer_[s.peer_id()];
  if (sessions.size() >= settings_.max_connections_per_peer) return false;
  sessions.insert(&s);
  return true;
}

void server::forget(server_session& s) {
  if (!s.admitted_) return;
  const auto it = by_peer_.find(s.peer_id());
  it->second.erase(&s);
  if (it->second.empty()) by_peer_.erase(it);
}

}  // namespace swpt::session

#include "probe.hpp"

#include "core/stomp/parser.hpp"
#include "session/connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/steady_timer.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <openssl/err.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace swpt::testing {

using session::nothrow;
using tcp = asio::ip::tcp;

namespace {

// Probe coroutines use no throwing tokens; an exception is a bug of the
// test, and it surfaces from io_context::run in the test.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// A TCP-only probe still needs some context to build its (unused) TLS layer.
asio::ssl::context unused_context() { return asio::ssl::context{asio::ssl::context::tls_client}; }

tcp::endpoint loopback(std::uint16_t port) { return {asio::ip::address_v4::loopback(), port}; }

}  // namespace

// ---- tls_probe ----

struct tls_probe::state {
  enum class role { client, plain_client, server };

  state(asio::io_context& io, role r, asio::ssl::context ctx)
      : kind{r}, tls{std::move(ctx)}, stream{io, tls}, acceptor{io}, wake{io} {}

  role kind;
  asio::ssl::context tls;
  asio::ssl::stream<asio::ip::tcp::socket> stream;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;  // to connect to, or listening on

  std::string outbox;
  asio::steady_timer wake;  // cancelled when outbox gains bytes or the probe ends
  bool ended = false;
  std::error_code handshake_error, end_reason;
  std::string received;

  void finish(std::error_code why) {
    if (ended) return;
    ended = true;
    end_reason = why;
    std::error_code ignored;
    stream.next_layer().close(ignored);
    acceptor.close(ignored);
    wake.cancel();
  }
};

tls_probe tls_probe::connect(asio::io_context& io, std::uint16_t port, asio::ssl::context tls) {
  auto s = std::make_shared<state>(io, state::role::client, std::move(tls));
  s->port = port;
  asio::co_spawn(io, run(s), rethrow);
  return tls_probe{s};
}

tls_probe tls_probe::connect_plain(asio::io_context& io, std::uint16_t port) {
  auto s = std::make_shared<state>(io, state::role::plain_client, unused_context());
  s->port = port;
  asio::co_spawn(io, run(s), rethrow);
  return tls_probe{s};
}

tls_probe tls_probe::listen(asio::io_context& io, asio::ssl::context tls) {
  auto s = std::make_shared<state>(io, state::role::server, std::move(tls));
  s->acceptor.open(tcp::v4());
  s->acceptor.bind(loopback(0));
  s->acceptor.listen();
  s->port = s->acceptor.local_endpoint().port();
  asio::co_spawn(io, run(s), rethrow);
  return tls_probe{s};
}

tls_probe::~tls_probe() { close(); }

asio::awaitable<void> tls_probe::run(std::shared_ptr<state> s) {
  if (s->kind == state::role::server) {
    auto [ec, socket] = co_await s->acceptor.async_accept(nothrow);
    if (ec) co_return s->finish(ec);
    s->stream.next_layer() = std::move(socket);
  } else {
    auto [ec] = co_await s->stream.next_layer().async_connect(loopback(s->port), nothrow);
    if (ec) co_return s->finish(ec);
  }
  if (s->kind != state::role::plain_client) {
    const auto side = s->kind == state::role::server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
    auto [ec] = co_await s->stream.async_handshake(side, nothrow);
    if (ec) {
      s->handshake_error = ec;
      co_return s->finish(ec);
    }
  }
  asio::co_spawn(s->wake.get_executor(), writer(s), rethrow);
  co_await reader(s);
}

asio::awaitable<void> tls_probe::reader(std::shared_ptr<state> s) {
  char chunk[4096];
  for (;;) {
    std::error_code ec;
    std::size_t n = 0;
    if (s->kind == state::role::plain_client)
      std::tie(ec, n) = co_await s->stream.next_layer().async_read_some(asio::buffer(chunk), nothrow);
    else
      std::tie(ec, n) = co_await s->stream.async_read_some(asio::buffer(chunk), nothrow);
    s->received.append(chunk, n);
    if (ec) co_return s->finish(ec);
  }
}

asio::awaitable<void> tls_probe::writer(std::shared_ptr<state> s) {
  std::string writing;
  while (!s->ended) {
    if (s->outbox.empty()) {
      s->wake.expires_at(asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(nothrow);
      continue;
    }
    writing.swap(s->outbox);
    std::error_code ec;
    if (s->kind == state::role::plain_client)
      std::tie(ec, std::ignore) = co_await asio::async_write(s->stream.next_layer(), asio::buffer(writing), nothrow);
    else
      std::tie(ec, std::ignore) = co_await asio::async_write(s->stream, asio::buffer(writing), nothrow);
    writing.clear();
    // A write into a connection the other side has closed fails; what the
    // other side said before closing is still read to its end.
    if (ec) s->outbox.clear();
  }
}

std::uint16_t tls_probe::port() const { return state_->port; }

void tls_probe::send(std::string bytes) {
  state_->outbox += bytes;
  state_->wake.cancel();
}

void tls_probe::close() {
  if (state_) state_->finish(asio::error::operation_aborted);
}

bool tls_probe::ended() const { return state_->ended; }
std::error_code tls_probe::handshake_error() const { return state_->handshake_error; }
std::error_code tls_probe::end_reason() const { return state_->end_reason; }
const std::string& tls_probe::received() const { return state_->received; }

int tls_reason(std::error_code ec) {
  if (ec.category() != asio::error::get_ssl_category()) return 0;
  return ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
}

// ---- received bytes ----

std::vector<std::string> stomp_stream::commands() const {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.command);
  return out;
}

stomp_stream parse_stream(std::string_view bytes) {
  stomp_stream out;
  stomp::parser parser;
  for (;;) {
    const auto r = parser.parse(bytes);
    switch (r.status) {
      case stomp::parse_status::need_more:
        return out;
      case stomp::parse_status::error:
        out.error = r.error.message();
        return out;
      case stomp::parse_status::heartbeat:
        out.heartbeats += static_cast<std::size_t>(std::count(bytes.begin(), bytes.begin() + r.consumed, '\n'));
        break;
      case stomp::parse_status::frame: {
        const auto eols = static_cast<std::size_t>(r.frame.command.data() - bytes.data());
        out.heartbeats += static_cast<std::size_t>(std::count(bytes.begin(), bytes.begin() + eols, '\n'));
        out.frames.push_back(r.frame.to_frame());
        break;
      }
    }
    bytes.remove_prefix(r.consumed);
  }
}

std::string frame_bytes(std::string_view head, std::string_view body) {
  std::string out{head};
  out += '\n';
  out += body;
  out += '\0';
  return out;
}

std::string connect_frame(std::string_view heart_beat) {
  return frame_bytes(fmt::format("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:{}\n", heart_beat));
}

std::string send_frame(std::string_view receipt, std::string_view body, std::string_view destination) {
  return frame_bytes(fmt::format("SEND\ndestination:{}\ntype:PrepareTransfer\ncontent-type:application/json\n"
                                 "persistent:true\nreceipt:{}\n",
                                 destination, receipt),
                     body);
}

std::string send_frames(int first, int last) {
  std::string out;
  for (int i = first; i <= last; ++i) out += send_frame(std::to_string(i), prepare_transfer_body(i));
  return out;
}

std::string error_frame(std::string_view message) { return frame_bytes(fmt::format("ERROR\nmessage:{}\n", message)); }

std::string receipt_frame(std::string_view id) { return frame_bytes(fmt::format("RECEIPT\nreceipt-id:{}\n", id)); }

std::string connected_frame(std::string_view heart_beat) {
  return frame_bytes(fmt::format("CONNECTED\nversion:1.2\nheart-beat:{}\n", heart_beat));
}

fixtures::credential server_credential_from(const fixtures::credential& root,
                                            const fixtures::server_options& options) {
  auto key = fixtures::private_key::generate();
  auto cert = fixtures::issue_server_cert(root, key, options);
  return {std::move(key), std::move(cert)};
}

// ---- background_client ----

struct background_client::state {
  session::client_target target;
  session::client_settings settings;
  std::optional<session::client_outcome> outcome;
};

background_client::background_client(asio::io_context& io, const session::client_tls& tls, session::client_target target,
                                     session::message_source& source, session::client_settings settings,
                                     session::client_stop* stop)
    : state_{std::make_shared<state>(state{std::move(target), std::move(settings), std::nullopt})} {
  // The handler keeps the target and settings alive as long as the client runs.
  asio::co_spawn(io, session::run_client(tls, state_->target, state_->settings, source, stop),
                 [s = state_](std::exception_ptr e, session::client_outcome o) {
                   rethrow(e);
                   s->outcome = o;
                 });
}

bool background_client::done() const { return state_->outcome.has_value(); }

session::client_outcome background_client::outcome() const {
  if (!state_->outcome) throw std::logic_error("background_client: still running");
  return *state_->outcome;
}

// ---- aa_server ----

aa_server::aa_server(aa_server_options options) : sink{options.manual_sink} {
  if (options.prepare) options.prepare(net.trio);
  harness.emplace(net, net.trio.aa, sink, std::move(options.settings));
}

tls_probe aa_server::connect_ca() {
  return tls_probe::connect(io(), server().port(), net.client_probe_context(ca(), aa()));
}

std::string aa_server::reply_to(std::string input, std::chrono::steady_clock::duration limit) {
  auto probe = connect_ca();
  probe.send(std::move(input));
  if (!run_until([&] { return probe.ended(); }, limit))
    throw std::runtime_error("the server did not close the connection in time");
  return probe.received();
}

bool aa_server::run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
  return testing::run_until(io(), done, limit);
}

}  // namespace swpt::testing

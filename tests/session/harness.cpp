#include "harness.hpp"

#include "session/connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <mutex>

namespace swpt::testing {

struct memory_sink::impl {
  bool manual;
  mutable std::mutex mutex;
  std::vector<publication> received;
  std::deque<confirm_handler> waiting;
};

memory_sink::memory_sink(bool manual) : impl_{std::make_unique<impl>()} { impl_->manual = manual; }
memory_sink::~memory_sink() = default;

asio::awaitable<void> memory_sink::submit(publication message, confirm_handler confirmed) {
  {
    const std::lock_guard lock{impl_->mutex};
    impl_->received.push_back(std::move(message));
    if (impl_->manual) {
      impl_->waiting.push_back(std::move(confirmed));
      co_return;
    }
  }
  confirmed({});
}

void memory_sink::confirm_next(std::error_code ec) {
  confirm_handler h;
  {
    const std::lock_guard lock{impl_->mutex};
    if (impl_->waiting.empty()) throw std::logic_error("memory_sink: nothing to confirm");
    h = std::move(impl_->waiting.front());
    impl_->waiting.pop_front();
  }
  h(ec);
}

std::size_t memory_sink::unconfirmed() const {
  const std::lock_guard lock{impl_->mutex};
  return impl_->waiting.size();
}

std::vector<publication> memory_sink::received() const {
  const std::lock_guard lock{impl_->mutex};
  return impl_->received;
}

std::size_t memory_sink::count() const {
  const std::lock_guard lock{impl_->mutex};
  return impl_->received.size();
}

memory_source::memory_source(asio::any_io_executor ex, std::vector<session::outgoing_message> messages,
                             bool hold_open)
    : messages_{std::move(messages)}, hold_open_{hold_open}, wake_{ex, asio::steady_timer::time_point::max()} {}

asio::awaitable<std::optional<session::outgoing_message>> memory_source::next() {
  if (next_ < messages_.size()) co_return messages_[next_++];
  while (hold_open_) co_await wake_.async_wait(session::nothrow);
  co_return std::nullopt;
}

std::optional<session::outgoing_message> memory_source::try_next() {
  if (next_ < messages_.size()) return messages_[next_++];
  return std::nullopt;
}

void memory_source::confirm(std::string_view id) { confirmed_.emplace_back(id); }

void memory_source::close_source() {
  hold_open_ = false;
  wake_.cancel();
}

std::string prepare_transfer_body(std::int64_t n) {
  const std::int64_t creditor = 0x0000010000000000 + n;
  return fmt::format(
      R"({{"type": "PrepareTransfer", "debtor_id": 1311862288428302337, "creditor_id": {0}, )"
      R"("coordinator_type": "direct", "coordinator_id": {0}, "coordinator_request_id": {1}, )"
      R"("min_locked_amount": 1000, "max_locked_amount": 2000, "recipient": "RECIPIENT", )"
      R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, )"
      R"("ts": "2023-01-01T12:00:00+00:00"}})",
      creditor, n);
}

std::vector<session::outgoing_message> ca_messages(std::size_t count) {
  std::vector<session::outgoing_message> out;
  for (std::size_t i = 1; i <= count; ++i)
    out.push_back({std::to_string(i), "PrepareTransfer", prepare_transfer_body(static_cast<std::int64_t>(i))});
  return out;
}

network::network() : dir{"swpt-session"}, trio{fixtures::make_trio(dir.path())} {}

asio::ssl::context network::server_context(const fixtures::node& n) const {
  const auto own = session::tls_credentials::load(n.server_cert, n.server_key);
  return session::make_server_context(own, nodedata::database{n.dir}.read_owner().root_ca_pem);
}

session::client_tls network::client_context(const fixtures::node& self, const fixtures::node& peer) const {
  const auto own = session::tls_credentials::load(self.server_cert, self.server_key);
  const auto p = nodedata::database{self.dir}.find_peer(peer.id, false).value();
  return session::make_client_tls(own, p.sub_ca_pem, p.root_ca_pem);
}

asio::ssl::context network::client_probe_context(const fixtures::node& self, const fixtures::node& peer) const {
  const auto own = session::tls_credentials::load(self.server_cert, self.server_key);
  const auto p = nodedata::database{self.dir}.find_peer(peer.id, false).value();
  return session::make_client_context(own, p.sub_ca_pem, p.root_ca_pem);
}

session::client_target network::target(const fixtures::node& self, const fixtures::node& peer,
                                       std::uint16_t port) const {
  auto p = nodedata::database{self.dir}.find_peer(peer.id, false).value();
  p.manifest.servers = {{"127.0.0.1", port}};
  return {peer.id, std::move(p.manifest)};
}

server_harness::server_harness(const network& net, const fixtures::node& owner, memory_sink& s,
                               session::server_settings settings)
    : tls{std::make_shared<asio::ssl::context>(net.server_context(owner))},
      directory{nodedata::database{owner.dir}, files.get_executor()},
      sink{s},
      server{io.get_executor(), tls, [&] { settings.port = 0; return settings; }(), directory, sink} {
  server.listen();
  asio::co_spawn(io, server.serve(), [this](std::exception_ptr e) {
    served = true;
    if (e) std::rethrow_exception(e);
  });
}

bool server_harness::stop(std::chrono::steady_clock::duration grace, std::chrono::steady_clock::duration limit) {
  bool stopped = false;
  asio::co_spawn(io, server.stop(grace), [&](std::exception_ptr e) {
    stopped = true;
    if (e) std::rethrow_exception(e);
  });
  return run_until([&] { return stopped && served; }, limit);
}

server_harness::~server_harness() {
  if (!served) stop();
  files.join();
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    if (io.run_one_for(deadline - now) == 0 && io.stopped()) return done();
  }
  return true;
}

bool server_harness::run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
  return testing::run_until(io, done, limit);
}

session::client_outcome run_client_to_end(asio::io_context& io, const session::client_tls& tls,
                                          const session::client_target& target, session::message_source& source,
                                          session::client_settings settings,
                                          std::chrono::steady_clock::duration limit) {
  std::optional<session::client_outcome> outcome;
  asio::co_spawn(io, session::run_client(tls, target, settings, source),
                 [&](std::exception_ptr e, session::client_outcome o) {
                   if (e) std::rethrow_exception(e);
                   outcome = o;
                 });
  if (!run_until(io, [&] { return outcome.has_value(); }, limit))
    throw std::runtime_error("the client did not finish in time");
  return *outcome;
}

}  // namespace swpt::testing

#include "daemon/supervisor.hpp"

#include "amqp/connection.hpp"
#include "amqp/topology.hpp"
#include "daemon/settings.hpp"
#include "log/describe.hpp"
#include "session/node_directory.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace swpt::daemon {

supervisor::supervisor(unit_environment& env, std::filesystem::path root, const nodedata::owner_data& owner,
                       peer_changed changed, std::function<void()> activated)
    : env_{env},
      root_{std::move(root)},
      owner_{owner},
      changed_{std::move(changed)},
      activated_{std::move(activated)},
      jobs_{env.ex, logger_},
      tasks_{env.ex, logger_} {}

supervisor::~supervisor() = default;

void supervisor::reconcile(const node_view& view) {
  if (stopping_) return;
  for (const auto& [id, peer] : view.peers) {
    auto it = peers_.find(id);
    if (it == peers_.end()) {
      it = peers_.emplace(id, std::make_unique<peer_supervisor>(env_, owner_, id, changed_)).first;
      tasks_.spawn(run_peer(id), fmt::format("the supervisor of peer {}", id));
    }
    it->second->update(peer);
    if (env_.current->activation == activation_mode::manage) {
      if (peer.condition == peer_condition::registered) activate(peer, peer.queues);
      // Grown queues.txt: the new queues are declared before their clients
      // find them (until then they retry).
      else if (peer.condition == peer_condition::active && declared_.count(id) != 0 && declared_[id] < peer.queues)
        activate(peer, peer.queues);
    }
  }
  for (auto& [id, peer] : peers_)
    if (view.peers.count(id) == 0) peer->update(std::nullopt);
}

void supervisor::shutdown() {
  stopping_ = true;
  for (auto& [id, peer] : peers_) peer->shutdown();
}

void supervisor::abort() {
  stopping_ = true;
  for (auto& [id, peer] : peers_) peer->abort();
  jobs_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> supervisor::wait() {
  co_await tasks_.wait();
  co_await jobs_.wait();
}

asio::awaitable<void> supervisor::run_peer(std::string id) {
  co_await peers_.at(id)->run();
  peers_.erase(id);
}

void supervisor::activate(const peer_view& peer, int queues) {
  if (declaring_.count(peer.id) != 0) return;
  declaring_.insert(peer.id);
  jobs_.spawn(declare_and_activate(peer.id, queues), fmt::format("the activation of peer {}", peer.id));
}

// docs/daemon.md "Activation": the queues' topology (what configure-queue
// declares), then ACTIVE; both idempotent, so a failure is simply tried
// again at the next scan. rabbitmq-c blocks: off the event loop, bounded
// by the broker's connection timeout.
asio::awaitable<void> supervisor::declare_and_activate(std::string id, int queues) {
  const auto cfg = env_.current;
  const auto logger = logger_.with("peer", id);
  std::string error;
  try {
    auto settings = broker_connection(*cfg, fmt::format("swpt-stomp run: activating {}", id));
    // Named, not written in the co_await: g++ 12 destroys the captures of a
    // closure made in a co_await's full-expression twice.
    auto declare = [settings = std::move(settings), root = root_, owner = owner_, id, queues,
                    name_template = cfg->clients.queue_name]() -> asio::awaitable<void> {
      const nodedata::database db{root};
      const auto peer = db.find_peer(id, /*active_only=*/false);
      if (!peer) throw std::runtime_error{"the peer is not in the database"};
      if (peer->state == nodedata::peer_state::deactivated) co_return;
      const auto context = session::make_peer_context(owner, *peer);
      amqp::connection broker{settings};
      for (const auto& queue : queue_names(name_template, id, queues))
        amqp::declare(broker, amqp::topology_for(context, id, queue));
      mark_active(root, id);
    };
    co_await asio::co_spawn(env_.blocking, std::move(declare), asio::use_awaitable);
  } catch (const std::exception& e) {
    error = log::describe(e);
  }
  declaring_.erase(id);
  if (error.empty()) {
    const bool first = declared_.count(id) == 0;
    declared_[id] = queues;
    activation_errors_.erase(id);
    if (first)
      logger.info("Peer {}: its {} queue(s) are declared and it is active.", id, queues);
    else
      logger.info("Peer {}: its {} queue(s) are declared.", id, queues);
    if (activated_) activated_();
  } else if (activation_errors_[id] != error) {
    activation_errors_[id] = error;
    logger.warning("Peer {} cannot be activated yet (tried again at each scan): {}", id, error);
  }
}

}  // namespace swpt::daemon

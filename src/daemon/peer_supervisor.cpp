#include "daemon/peer_supervisor.hpp"

#include "daemon/settings.hpp"
#include "log/describe.hpp"
#include "session/node_directory.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <stdexcept>

namespace swpt::daemon {
namespace {

constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

std::string_view units_of(bool clients) { return clients ? "clients" : "drainers"; }

// Whether applying `b` after `a` would change nothing: files_version
// changes with every file the units read.
bool same_view(const std::optional<peer_view>& a, const std::optional<peer_view>& b) {
  if (!a || !b) return false;  // a gone peer's loop is always woken: it ends once its units have
  return a->condition == b->condition && a->queues == b->queues && a->files_version == b->files_version &&
         a->data == b->data && a->error == b->error;
}

}  // namespace

peer_supervisor::peer_supervisor(unit_environment& env, const nodedata::owner_data& owner, std::string id,
                                 peer_changed changed)
    : env_{env},
      owner_{owner},
      id_{std::move(id)},
      changed_{std::move(changed)},
      logger_{log::logger{"swpt_stomp.daemon"}.with("peer", id_)},
      wake_{env.ex, asio::steady_timer::time_point::max()},
      tasks_{env.ex, logger_} {}

peer_supervisor::~peer_supervisor() = default;

void peer_supervisor::update(std::optional<peer_view> view) {
  if (!retry_ && applied_config_ == env_.current && same_view(desired_, view)) return;
  desired_ = std::move(view);
  ++updates_;
  wake_.cancel();
}

void peer_supervisor::shutdown() {
  shutdown_ = true;
  for (auto& [queue, control] : units_) control->finish(finish_grace(*env_.current));
  wake_.cancel();
}

void peer_supervisor::abort() {
  shutdown_ = true;
  tasks_.emit(asio::cancellation_type::terminal);
  wake_.cancel();
}

asio::awaitable<void> peer_supervisor::run() {
  std::uint64_t applied = 0;
  for (;;) {
    if (shutdown_) break;
    if (applied != updates_) {
      applied = updates_;
      const auto view = desired_;
      applied_config_ = env_.current;
      retry_ = false;
      try {
        co_await apply(view);
      } catch (const std::exception& e) {
        // Kept to this peer: the next scan tries again.
        logger_.error("Peer {}: reconciling failed: {}", id_, log::describe(e));
        retry_ = true;
      }
      if (!desired_ && applied == updates_ && tasks_.empty()) break;  // its directory is gone
      continue;
    }
    co_await wake_.async_wait(nothrow);
  }
  co_await stop_units();
}

peer_supervisor::target peer_supervisor::decide(const std::optional<peer_view>& view) {
  target t;
  if (!view) {
    t.state = "removed";
    return t;
  }
  const auto& cfg = *env_.current;
  switch (view->condition) {
    case peer_condition::registered:
      t.state = "registered (not active)";
      return t;
    case peer_condition::broken:
      t.state = "broken";
      t.problem = view->error;
      return t;
    case peer_condition::active:
      t.wanted = mode::clients;
      break;
    case peer_condition::deactivated:
      if (!cfg.drainers.enabled) {
        t.state = "deactivated (drainers are disabled)";
        return t;
      }
      t.wanted = mode::drainers;
      break;
  }
  try {
    t.queues = queue_names(cfg.clients.queue_name, id_, view->queues);
    auto files = files_;
    const bool same = files && files->version == view->files_version && (files->client_tls != nullptr) == (t.wanted == mode::clients);
    if (!same) {
      auto fresh = std::make_shared<peer_files>();
      if (!view->data) throw std::logic_error{"the peer's files were not read"};
      fresh->data = view->data;
      fresh->context = session::make_peer_context(owner_, *fresh->data);
      if (t.wanted == mode::clients) fresh->client_tls = client_tls(cfg, *fresh->data);
      fresh->version = view->files_version;
      files = std::move(fresh);
    }
    t.files = std::move(files);
  } catch (const std::exception& e) {
    t.wanted = mode::none;
    t.state = "broken";
    t.problem = log::describe(e);
    return t;
  }
  t.state = fmt::format("{}, {} {}", t.wanted == mode::clients ? "active" : "deactivated", t.queues.size(),
                        t.queues.size() == 1 ? "queue" : "queues");
  return t;
}

void peer_supervisor::report(const target& t) {
  if (t.state == state_ && t.problem == problem_) return;
  if (!t.problem.empty())
    logger_.warning("Peer {} is broken; nothing runs for it until it is fixed: {}", id_, t.problem);
  else if (!problem_.empty())
    logger_.info("Peer {} is no longer broken: {}.", id_, t.state);
  else
    logger_.info("Peer {}: {}.", id_, t.state);
  state_ = t.state;
  problem_ = t.problem;
}

asio::awaitable<void> peer_supervisor::apply(const std::optional<peer_view>& view) {
  const auto t = decide(view);
  report(t);
  const bool deactivated = view && view->condition == peer_condition::deactivated;
  if (deactivated && !disconnected_) {
    // At once, before the clients' graceful end: the peer must not go on
    // sending to us.
    changed_(id_, /*disconnect=*/true);
    disconnected_ = true;
  } else if (!deactivated) {
    disconnected_ = false;
  }
  if (mode_ != t.wanted && mode_ != mode::none) {
    logger_.info("Peer {}: its {} stop.", id_, units_of(mode_ == mode::clients));
    co_await stop_units();
  }
  if (t.wanted == mode::none) {
    files_.reset();
    drained_.clear();
    co_return;
  }
  if (files_ != t.files) {
    const bool restart = files_ != nullptr && mode_ == t.wanted;
    files_ = t.files;
    changed_(id_, /*disconnect=*/false);
    if (restart) {
      logger_.info("Peer {}: its files changed; its {} start again with them.", id_, units_of(mode_ == mode::clients));
      for (auto& [queue, control] : units_) control->restart(finish_grace(*env_.current));
    }
  }
  mode_ = t.wanted;
  const std::set<std::string> wanted(t.queues.begin(), t.queues.end());
  for (auto& [queue, control] : units_)
    if (wanted.count(queue) == 0) control->finish(finish_grace(*env_.current));
  for (const auto& queue : t.queues)
    if (units_.count(queue) == 0 && drained_.count(queue) == 0) start(queue);
}

asio::awaitable<void> peer_supervisor::stop_units() {
  const auto grace = finish_grace(*env_.current);
  for (auto& [queue, control] : units_) control->finish(grace);
  // Total cancellation finishes any unit not asked yet; terminal after the
  // bound.
  co_await tasks_.stop(env_.current->timeouts.shutdown);
  units_.clear();
  drained_.clear();
  mode_ = mode::none;
}

void peer_supervisor::start(const std::string& queue) {
  auto control = std::make_shared<unit_control>(env_.ex);
  units_[queue] = control;
  tasks_.spawn(unit(queue, control), fmt::format("the {} of queue {}", mode_ == mode::clients ? "client" : "drainer", queue));
}

asio::awaitable<void> peer_supervisor::unit(std::string queue, std::shared_ptr<unit_control> control) {
  unit_spec spec{env_, files_, id_, queue, control};
  auto work = mode_ == mode::clients ? run_client_unit(std::move(spec)) : run_drainer_unit(std::move(spec));
  const auto grace = finish_grace(*env_.current);
  // Named, not lambdas written in the co_await: g++ 12 destroys the members
  // of an aggregate or a closure made in a co_await's full-expression twice
  // (here `control` lost two references and was freed under the unit).
  std::function<void()> graceful = [control, grace] { control->finish(grace); };
  std::function<void()> at_once = [control] { control->abort(); };
  try {
    co_await async::run_stoppable(std::move(work), std::move(graceful), std::move(at_once));
  } catch (...) {
    if (const auto it = units_.find(queue); it != units_.end() && it->second == control) units_.erase(it);
    retry_ = true;
    throw;
  }
  if (control->drained) drained_.insert(queue);
  if (const auto it = units_.find(queue); it != units_.end() && it->second == control) units_.erase(it);
  retry_ = true;  // the next scan starts it again if it is still wanted
}

}  // namespace swpt::daemon

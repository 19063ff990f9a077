#include "amqp/consumer_pool.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace swpt::amqp {

consumer_pool::consumer_pool(pool_settings settings, log::logger logger)
    : settings_{std::move(settings)}, logger_{std::move(logger)} {}

consumer_pool::~consumer_pool() {
  for (auto& w : workers_) w->request_stop();
  workers_.clear();  // each destructor joins its thread (an inline worker has ended, see stop())
}

std::shared_ptr<broker_worker> consumer_pool::attach(std::shared_ptr<channel_user> user) {
  std::lock_guard lock{mutex_};
  auto by_load = [](const auto& a, const auto& b) { return a->channel_count() < b->channel_count(); };
  if (!workers_.empty()) {
    auto& least = *std::min_element(workers_.begin(), workers_.end(), by_load);
    if ((least->channel_count() < settings_.worker.max_channels || workers_.size() >= settings_.connections) &&
        least->attach(user)) {
      return least;
    }
  }
  if (workers_.size() >= std::max<std::size_t>(settings_.connections, 1)) {
    throw error{fmt::format("every RabbitMQ connection of the pool has {} channels", settings_.worker.max_channels)};
  }
  auto w = settings_.worker;
  w.connection.name = fmt::format("{} #{}", w.connection.name, workers_.size() + 1);
  auto& added = workers_.emplace_back(settings_.inline_executor
                                          ? broker_worker::start_inline(std::move(w), logger_, settings_.inline_executor)
                                          : std::make_shared<broker_worker>(std::move(w), logger_));
  if (!added->attach(std::move(user))) throw error{"the new RabbitMQ connection refused a channel"};
  return added;
}

asio::awaitable<void> consumer_pool::stop() {
  std::vector<std::shared_ptr<broker_worker>> workers;
  {
    std::lock_guard lock{mutex_};
    workers = workers_;
  }
  for (auto& w : workers) w->request_stop();  // all at once, then wait for each
  for (auto& w : workers) co_await w->stop();
}

std::size_t consumer_pool::connection_count() const {
  std::lock_guard lock{mutex_};
  return workers_.size();
}

}  // namespace swpt::amqp

#include "bench_messages.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <stdexcept>

namespace swpt::bench {

std::string now_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

std::string prepare_transfer(std::int64_t creditor_id, std::int64_t request_id, std::string_view ts) {
  // The recipient is an account identifier the accounting authority gave
  // out; 32 characters bring the body to about 410 bytes.
  return fmt::format(
      R"({{"type": "PrepareTransfer", "debtor_id": {}, "creditor_id": {}, "coordinator_type": "direct", )"
      R"("coordinator_id": {}, "coordinator_request_id": {}, "min_locked_amount": 1000, )"
      R"("max_locked_amount": 2000, "recipient": "{:016x}{:016x}", )"
      R"("final_interest_rate_ts": "9999-12-31T23:59:59+00:00", "max_commit_delay": 100000, "ts": "{}"}})",
      debtor_id, creditor_id, creditor_id, request_id, static_cast<std::uint64_t>(debtor_id),
      static_cast<std::uint64_t>(creditor_id), ts);
}

void fill(amqp::connection& c, std::string_view exchange, std::string_view routing_key, std::uint64_t count,
          std::uint64_t first) {
  constexpr std::uint64_t window = 1000;  // unconfirmed publishes at a time
  c.enable_confirms();
  const std::string ts = now_timestamp();
  std::uint64_t published = 0, confirmed = 0;
  while (confirmed < count) {
    while (published < count && published - confirmed < window) {
      const auto n = static_cast<std::int64_t>(first + published);
      const std::string body = prepare_transfer(first_creditor_id + n, n + 1, ts);
      c.publish(exchange, routing_key, {"application/json", "PrepareTransfer", nullptr}, body, /*mandatory=*/true);
      ++published;
    }
    auto frame = c.poll(std::chrono::seconds{30});
    if (!frame) throw amqp::error{"filling: no confirmation from the broker in 30 s"};
    if (frame->frame_type != AMQP_FRAME_METHOD) continue;
    switch (frame->payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_ack_t*>(frame->payload.method.decoded);
        // Confirmations come in order on one channel and one queue.
        confirmed = m->multiple != 0 ? m->delivery_tag : confirmed + 1;
        break;
      }
      case AMQP_BASIC_NACK_METHOD:
        throw amqp::error{"filling: the broker nacked a message"};
      case AMQP_BASIC_RETURN_METHOD: {
        const auto returned = c.read_content(*frame);
        throw amqp::error{fmt::format("filling: a message to {} with routing key {} was returned (nothing bound)",
                                      returned.exchange, returned.routing_key)};
      }
      default:
        break;
    }
    c.release_buffers();
  }
}

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0)
    throw std::invalid_argument{fmt::format("{}: not a positive integer: {}", what, text)};
  return value;
}

}  // namespace swpt::bench

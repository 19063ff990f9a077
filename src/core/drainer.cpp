#include "core/drainer.hpp"

#include <stdexcept>

namespace swpt {
namespace {

using smp::field;
using smp::message_type;

// Flag 1 of config_flags: the account is scheduled for deletion.
constexpr std::int64_t scheduled_for_deletion = 1;
// A negligible amount no balance reaches: nothing is worth keeping.
constexpr double everything_negligible = 1e30;

smp::message made(std::optional<smp::message> m) {
  if (!m) throw std::logic_error("drainer_response: an invalid response was built");
  return std::move(*m);
}

}  // namespace

std::optional<smp::message> drainer_response(const smp::message& in, std::chrono::system_clock::time_point now) {
  const auto ts = smp::datetime::from_utc_microseconds(
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  const std::pair<field, smp::value> ids[] = {{field::debtor_id, in.i64(field::debtor_id)},
                                              {field::creditor_id, in.i64(field::creditor_id)}};
  switch (in.type()) {
    case message_type::account_update:
      return made(smp::message::make(message_type::configure_account,
                                     {ids[0], ids[1],
                                      {field::negligible_amount, everything_negligible},
                                      {field::config_data, std::string{}},
                                      {field::config_flags, scheduled_for_deletion},
                                      {field::seqnum, std::int64_t{0}},
                                      {field::ts, ts}}));
    case message_type::prepared_transfer:
      return made(smp::message::make(message_type::finalize_transfer,
                                     {ids[0], ids[1],
                                      {field::coordinator_type, in.str(field::coordinator_type)},
                                      {field::coordinator_id, in.i64(field::coordinator_id)},
                                      {field::coordinator_request_id, in.i64(field::coordinator_request_id)},
                                      {field::transfer_id, in.i64(field::transfer_id)},
                                      {field::committed_amount, std::int64_t{0}},
                                      {field::transfer_note_format, std::string{}},
                                      {field::transfer_note, std::string{}},
                                      {field::ts, ts}}));
    case message_type::configure_account:
      return made(smp::message::make(message_type::rejected_config,
                                     {ids[0], ids[1],
                                      {field::config_ts, in.dt(field::ts)},
                                      {field::config_seqnum, in.i64(field::seqnum)},
                                      {field::config_flags, in.i64(field::config_flags)},
                                      {field::config_data, in.str(field::config_data)},
                                      {field::negligible_amount, in.f64(field::negligible_amount)},
                                      {field::rejection_code, std::string{"NO_CONNECTION_TO_DEBTOR"}},
                                      {field::ts, ts}}));
    default:
      return std::nullopt;
  }
}

}  // namespace swpt

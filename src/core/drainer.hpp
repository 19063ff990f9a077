#pragma once
// What a drainer answers for a message that can no longer reach a
// deactivated peer (docs/rabbitmq-topology.md §3): the response the peer would
// eventually have caused, so that the owner's applications stop waiting.

#include "core/smp/message.hpp"

#include <chrono>
#include <optional>

namespace swpt {

// `consumed` is the message as it would have been sent (already in the
// peer's numbering). AccountUpdate -> ConfigureAccount scheduling the
// account for deletion; PreparedTransfer -> FinalizeTransfer dismissing the
// transfer; ConfigureAccount -> RejectedConfig (NO_CONNECTION_TO_DEBTOR);
// nothing for every other type. The response's `ts` is `now`.
std::optional<smp::message> drainer_response(const smp::message& consumed,
                                             std::chrono::system_clock::time_point now);

}  // namespace swpt

#pragma once
// SMP messages for the end-to-end tests: every type in the exact form the
// original re-emits (docs/smp-messages.md §4 member order, §5 example values), so
// that a received body can be compared byte for byte; and the AMQP headers
// and routing key a receiving server must give them (docs/message-processing.md
// §3–§5), written from the spec independently of src/.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swpt::e2e {

// docs/smp-messages.md §1.
inline const std::vector<std::string> in_types{"ConfigureAccount", "PrepareTransfer", "FinalizeTransfer"};
inline const std::vector<std::string> out_types{"RejectedConfig",    "RejectedTransfer", "PreparedTransfer",
                                                "FinalizedTransfer", "AccountUpdate",    "AccountPurge",
                                                "AccountTransfer"};

struct smp_ids {
  std::int64_t debtor = 0;
  std::int64_t creditor = 0;
  std::string coordinator_type = "direct";  // types with coordinator fields, and AccountTransfer
  std::int64_t coordinator = 0;             // coordinator_id, where the type has one
};

// True for the types with coordinator_id (and coordinator_request_id).
bool has_coordinator_id(std::string_view type);

// The canonical body of `type` with these IDs; everything else is fixed
// (the values of docs/smp-messages.md §5).
std::string smp_body(std::string_view type, const smp_ids& ids);

// "00.00.01.00.00.00.0a.bc": an ID as 8 dotted hex bytes, the routing key
// node applications use on to_creditors, to_debtors and creditors_out.
std::string dotted_hex(std::int64_t id);

// The headers a server publishes a message with (docs/message-processing.md §3),
// as broker.hpp's header::to_string() gives them, in wire order. The
// ca_flags are given for a CA owner only.
struct ca_flags {
  bool creditors;
  bool trade;
};
std::vector<std::string> expected_headers(std::string_view type, const smp_ids& ids, const ca_flags* ca = nullptr);

// A CA owner's classification of a received message (docs/message-processing.md
// §4), from the IDs already translated into its own numbering.
ca_flags classify_for_ca(std::string_view type, const smp_ids& translated);

}  // namespace swpt::e2e

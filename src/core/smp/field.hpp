#pragma once
// Every member name that appears in any SMP message type, and the values
// such a member can hold.

#include "core/smp/datetime.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace swpt::smp {

enum class field {
  // common to all types
  type,
  debtor_id,
  creditor_id,
  // the coordinator fields
  coordinator_type,
  coordinator_id,
  coordinator_request_id,
  // the rest, roughly in order of first appearance in docs/smp-messages.md §3
  negligible_amount,
  config_data,
  config_flags,
  seqnum,
  ts,
  min_locked_amount,
  max_locked_amount,
  recipient,
  final_interest_rate_ts,
  max_commit_delay,
  transfer_id,
  committed_amount,
  transfer_note_format,
  transfer_note,
  config_ts,
  config_seqnum,
  rejection_code,
  status_code,
  total_locked_amount,
  locked_amount,
  prepared_at,
  demurrage_rate,
  deadline,
  creation_date,
  last_change_ts,
  last_change_seqnum,
  principal,
  interest,
  interest_rate,
  last_interest_rate_change_ts,
  last_config_ts,
  last_config_seqnum,
  account_id,
  debtor_info_iri,
  debtor_info_content_type,
  debtor_info_sha256,
  last_transfer_number,
  last_transfer_committed_at,
  commit_period,
  transfer_note_max_bytes,
  ttl,
  transfer_number,
  sender,
  acquired_amount,
  committed_at,
  previous_transfer_number,
};

inline constexpr std::size_t field_count = static_cast<std::size_t>(field::previous_transfer_number) + 1;

namespace detail {
// Indexed by field. In the header so that field_name() inlines into the
// reader's key lookup.
inline constexpr std::array<std::string_view, field_count> field_names = {
    "type",
    "debtor_id",
    "creditor_id",
    "coordinator_type",
    "coordinator_id",
    "coordinator_request_id",
    "negligible_amount",
    "config_data",
    "config_flags",
    "seqnum",
    "ts",
    "min_locked_amount",
    "max_locked_amount",
    "recipient",
    "final_interest_rate_ts",
    "max_commit_delay",
    "transfer_id",
    "committed_amount",
    "transfer_note_format",
    "transfer_note",
    "config_ts",
    "config_seqnum",
    "rejection_code",
    "status_code",
    "total_locked_amount",
    "locked_amount",
    "prepared_at",
    "demurrage_rate",
    "deadline",
    "creation_date",
    "last_change_ts",
    "last_change_seqnum",
    "principal",
    "interest",
    "interest_rate",
    "last_interest_rate_change_ts",
    "last_config_ts",
    "last_config_seqnum",
    "account_id",
    "debtor_info_iri",
    "debtor_info_content_type",
    "debtor_info_sha256",
    "last_transfer_number",
    "last_transfer_committed_at",
    "commit_period",
    "transfer_note_max_bytes",
    "ttl",
    "transfer_number",
    "sender",
    "acquired_amount",
    "committed_at",
    "previous_transfer_number",
};
}  // namespace detail

// The JSON member name: field::debtor_id -> "debtor_id".
constexpr std::string_view field_name(field f) noexcept { return detail::field_names[static_cast<std::size_t>(f)]; }

// The inverse of field_name(); nullopt for names no message type uses.
std::optional<field> parse_field_name(std::string_view name) noexcept;

// i32 and i64 fields both hold std::int64_t (the i32 range is a constraint);
// float fields hold double; text fields hold valid UTF-8.
using value = std::variant<std::int64_t, double, std::string, datetime, date>;

}  // namespace swpt::smp

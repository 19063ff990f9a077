#include "core/smp/schema.hpp"

#include "core/smp/message.hpp"

#include <array>

namespace swpt::smp::detail {
namespace {

constexpr std::int64_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();

// Row builders, one per kind of constraint in §3.

constexpr field_rule i64(field f) { return {.name = f, .kind = value_kind::integer}; }

// min … 2^63−1
constexpr field_rule i64(field f, std::int64_t min) {
  return {.name = f, .kind = value_kind::integer, .min_integer = min};
}

constexpr field_rule i32(field f, std::int64_t min = i32_min, std::int64_t max = i32_max) {
  return {.name = f, .kind = value_kind::integer, .min_integer = min, .max_integer = max};
}

// Finite, and within [min, max].
constexpr field_rule f64(field f, double min = -infinity, double max = infinity) {
  return {.name = f, .kind = value_kind::number, .min_number = min, .max_number = max};
}

constexpr field_rule text(field f, std::uint32_t max_chars, std::uint32_t max_bytes = unlimited) {
  return {.name = f, .kind = value_kind::text, .max_chars = max_chars, .max_bytes = max_bytes};
}

constexpr field_rule ascii(field f, std::uint32_t max_chars) {
  return {.name = f, .kind = value_kind::text, .max_chars = max_chars, .ascii = true};
}

constexpr field_rule checked(field f, text_check check) {
  return {.name = f, .kind = value_kind::text, .check = check};
}

constexpr field_rule timestamp(field f) { return {.name = f, .kind = value_kind::datetime}; }

constexpr field_rule calendar_day(field f) { return {.name = f, .kind = value_kind::date}; }

constexpr field_rule nonempty(field_rule row) {
  row.min_chars = 1;
  return row;
}

constexpr field_rule not_ok(field_rule row) {
  row.check = text_check::not_ok;
  return row;
}

constexpr field_rule nonzero(field_rule row) {
  row.nonzero = true;
  return row;
}

// Rows used by more than one type; a member means the same wherever it appears.
constexpr field_rule type_row = checked(field::type, text_check::type_name);
constexpr field_rule debtor_id = i64(field::debtor_id);
constexpr field_rule creditor_id = i64(field::creditor_id);
constexpr field_rule coordinator_type = nonempty(ascii(field::coordinator_type, 30));
constexpr field_rule coordinator_id = i64(field::coordinator_id);
constexpr field_rule coordinator_request_id = i64(field::coordinator_request_id);
constexpr field_rule negligible_amount = f64(field::negligible_amount, 0.0);
constexpr field_rule config_data = text(field::config_data, 2000, 2000);
constexpr field_rule config_flags = i32(field::config_flags);
constexpr field_rule ts = timestamp(field::ts);
constexpr field_rule recipient = ascii(field::recipient, 100);
constexpr field_rule final_interest_rate_ts = timestamp(field::final_interest_rate_ts);
constexpr field_rule transfer_id = i64(field::transfer_id);
constexpr field_rule committed_amount = i64(field::committed_amount, 0);
constexpr field_rule transfer_note_format = checked(field::transfer_note_format, text_check::note_format);
constexpr field_rule transfer_note = text(field::transfer_note, 500, 500);
constexpr field_rule status_code = ascii(field::status_code, 30);
constexpr field_rule total_locked_amount = i64(field::total_locked_amount, 0);
constexpr field_rule prepared_at = timestamp(field::prepared_at);
constexpr field_rule demurrage_rate = f64(field::demurrage_rate, -100.0, 0.0);
constexpr field_rule creation_date = calendar_day(field::creation_date);
constexpr field_rule principal = i64(field::principal);

constexpr field_rule configure_account[] = {
    type_row, debtor_id, creditor_id, negligible_amount, config_data, config_flags, i32(field::seqnum), ts,
};

constexpr field_rule prepare_transfer[] = {
    type_row, debtor_id, creditor_id, coordinator_type, coordinator_id, coordinator_request_id,
    i64(field::min_locked_amount, 0), i64(field::max_locked_amount, 0), recipient, final_interest_rate_ts,
    i32(field::max_commit_delay, 0), ts,
};

constexpr field_rule finalize_transfer[] = {
    transfer_note_format, transfer_note, type_row, debtor_id, creditor_id, coordinator_type, coordinator_id,
    coordinator_request_id, transfer_id, committed_amount, ts,
};

constexpr field_rule rejected_config[] = {
    type_row, debtor_id, creditor_id, timestamp(field::config_ts), i32(field::config_seqnum), config_flags,
    config_data, negligible_amount, ascii(field::rejection_code, 30), ts,
};

constexpr field_rule rejected_transfer[] = {
    type_row, debtor_id, creditor_id, coordinator_type, coordinator_id, coordinator_request_id,
    not_ok(status_code), total_locked_amount, ts,
};

constexpr field_rule prepared_transfer[] = {
    type_row, debtor_id, creditor_id, coordinator_type, coordinator_id, coordinator_request_id, transfer_id,
    i64(field::locked_amount, 0), recipient, prepared_at, demurrage_rate, timestamp(field::deadline),
    final_interest_rate_ts, ts,
};

constexpr field_rule finalized_transfer[] = {
    type_row, debtor_id, creditor_id, coordinator_type, coordinator_id, coordinator_request_id, transfer_id,
    committed_amount, status_code, total_locked_amount, prepared_at, ts,
};

constexpr field_rule account_update[] = {
    type_row, debtor_id, creditor_id, creation_date, timestamp(field::last_change_ts),
    i32(field::last_change_seqnum), principal, f64(field::interest),
    f64(field::interest_rate, -100.0), timestamp(field::last_interest_rate_change_ts),
    timestamp(field::last_config_ts), i32(field::last_config_seqnum), negligible_amount, config_flags,
    config_data, ascii(field::account_id, 100), text(field::debtor_info_iri, 200),
    ascii(field::debtor_info_content_type, 100), checked(field::debtor_info_sha256, text_check::sha256),
    i64(field::last_transfer_number, 0), timestamp(field::last_transfer_committed_at), demurrage_rate,
    i32(field::commit_period, 0), i32(field::transfer_note_max_bytes, 0, 500), ts, i32(field::ttl, 0),
};

constexpr field_rule account_purge[] = {
    type_row, debtor_id, creditor_id, creation_date, ts,
};

constexpr field_rule account_transfer[] = {
    transfer_note_format, transfer_note, type_row, debtor_id, creditor_id, coordinator_type, creation_date,
    i64(field::transfer_number, 1), ascii(field::sender, 100), recipient, nonzero(i64(field::acquired_amount)),
    timestamp(field::committed_at), principal, ts, i64(field::previous_transfer_number, 0),
};

// Indexed by message_type.
constexpr std::array<std::span<const field_rule>, message_type_count> schemas = {
    configure_account, prepare_transfer,   finalize_transfer, rejected_config, rejected_transfer,
    prepared_transfer, finalized_transfer, account_update,    account_purge,   account_transfer,
};

constexpr bool fits_in_a_message() {
  for (const auto& schema : schemas) {
    if (schema.size() > max_fields_per_type) return false;
  }
  return schemas[static_cast<std::size_t>(message_type::account_update)].size() == max_fields_per_type;
}
static_assert(fits_in_a_message(), "max_fields_per_type must be the size of the largest schema");

}  // namespace

std::span<const field_rule> schema_of(message_type type) noexcept {
  return schemas[static_cast<std::size_t>(type)];
}

std::optional<std::size_t> position_of(std::span<const field_rule> schema, field name) noexcept {
  for (std::size_t i = 0; i < schema.size(); ++i) {
    if (schema[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> position_of(std::span<const field_rule> schema, std::string_view name) noexcept {
  for (std::size_t i = 0; i < schema.size(); ++i) {
    if (field_name(schema[i].name) == name) return i;
  }
  return std::nullopt;
}

}  // namespace swpt::smp::detail

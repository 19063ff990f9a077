#include "core/smp/rules.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cmath>

namespace swpt::smp::detail {
namespace {

constexpr std::size_t max_note_format_chars = 8;
constexpr std::size_t sha256_hex_digits = 64;

// ^[0-9A-Za-z.-]{0,8}$ (without the original's tolerance of a trailing "\n")
bool is_note_format(std::string_view text) noexcept {
  return text.size() <= max_note_format_chars && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
                  c == '-';
         });
}

// ^([0-9A-F]{64}|[0-9a-f]{64})?$ : empty, or 64 hex digits of a single case.
bool is_sha256(std::string_view text) noexcept {
  if (text.empty()) return true;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto upper = [&](char c) { return digit(c) || (c >= 'A' && c <= 'F'); };
  const auto lower = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f'); };
  return text.size() == sha256_hex_digits &&
         (std::all_of(text.begin(), text.end(), upper) || std::all_of(text.begin(), text.end(), lower));
}

bool passes(text_check check, std::string_view text, message_type type) noexcept {
  switch (check) {
    case text_check::none: return true;
    case text_check::type_name: return text == type_name(type);
    case text_check::note_format: return is_note_format(text);
    case text_check::sha256: return is_sha256(text);
    case text_check::not_ok: return text != "OK";
  }
  return false;
}

bool prepare_transfer_ok(const message& m) {
  if (m.i64(field::min_locked_amount) > m.i64(field::max_locked_amount)) return false;
  const std::string& coordinator = m.str(field::coordinator_type);
  if (coordinator == "direct") return m.i64(field::coordinator_id) == m.i64(field::creditor_id);
  if (coordinator == "issuing") {
    return m.i64(field::coordinator_id) == m.i64(field::debtor_id) && m.i64(field::creditor_id) == 0;
  }
  return true;  // other coordinator types are not restricted by the schema
}

bool finalized_transfer_ok(const message& m) {
  return m.str(field::status_code) == "OK" || m.i64(field::committed_amount) == 0;
}

bool account_transfer_ok(const message& m) {
  return m.i64(field::previous_transfer_number) < m.i64(field::transfer_number);
}

template <class T>
bool holds(const value& v) noexcept {
  return std::holds_alternative<T>(v);
}

}  // namespace

bool check_integer(const field_rule& rule, std::int64_t number) noexcept {
  return number >= rule.min_integer && number <= rule.max_integer && !(rule.nonzero && number == 0);
}

bool check_number(const field_rule& rule, double number) noexcept {
  return std::isfinite(number) && number >= rule.min_number && number <= rule.max_number;
}

bool check_text(const field_rule& rule, std::string_view text, message_type type) noexcept {
  const utf8::summary summary = utf8::inspect(text);
  return summary.valid && (summary.ascii || !rule.ascii) && summary.code_points >= rule.min_chars &&
         summary.code_points <= rule.max_chars && text.size() <= rule.max_bytes && passes(rule.check, text, type);
}

bool admit(const field_rule& rule, value& v, message_type type) noexcept {
  switch (rule.kind) {
    case value_kind::integer: return holds<std::int64_t>(v) && check_integer(rule, std::get<std::int64_t>(v));
    case value_kind::number:
      if (holds<std::int64_t>(v)) v = static_cast<double>(std::get<std::int64_t>(v));
      return holds<double>(v) && check_number(rule, std::get<double>(v));
    case value_kind::text: return holds<std::string>(v) && check_text(rule, std::get<std::string>(v), type);
    case value_kind::datetime: return holds<datetime>(v) && std::get<datetime>(v).valid();
    case value_kind::date: return holds<date>(v) && std::get<date>(v).valid();
  }
  return false;
}

bool cross_fields_ok(const message& m) {
  switch (m.type()) {
    case message_type::prepare_transfer: return prepare_transfer_ok(m);
    case message_type::finalized_transfer: return finalized_transfer_ok(m);
    case message_type::account_transfer: return account_transfer_ok(m);
    default: return true;
  }
}

}  // namespace swpt::smp::detail

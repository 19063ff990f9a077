#include "core/smp/json_reader.hpp"

#include "core/smp/rapidjson.hpp"
#include "core/smp/rules.hpp"
#include "core/smp/schema.hpp"
#include "core/utf8.hpp"

#include <array>
#include <charconv>
#include <string>

#include <locale.h>  // newlocale (POSIX)
#include <stdlib.h>  // strtod_l (GNU)

namespace swpt::smp::detail {
namespace {

// RapidJSON's reader recurses once per nesting level; the bound keeps a
// hostile body from exhausting the stack. Real messages are flat (depth 1).
constexpr int max_depth = 64;

// The reader's working stack (strings are unescaped into it) starts in an
// on-stack arena, so a typical message costs no heap allocation.
constexpr std::size_t arena_bytes = 2048;
constexpr std::size_t reader_stack_bytes = 512;
constexpr std::size_t overflow_chunk_bytes = 8192;

// Numbers reach us as their literal text. UTF-8 is not left to RapidJSON
// (kParseValidateEncodingFlag costs a third of the parse, and would miss
// lone surrogate escapes anyway): bytes >= 0x80 outside strings are syntax
// errors, and the handler validates every string and key it is given.
constexpr unsigned parse_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;

using reader_type = rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>;

// from_chars reports underflow and overflow alike as out of range; strtod
// (in the C locale, whatever the process's locale is) tells them apart:
// 1e-400 is 0.0 as in Python, 1e400 is infinite and later rejected.
double parse_out_of_range(std::string_view literal) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  const std::string terminated(literal);
  return strtod_l(terminated.c_str(), nullptr, c_locale);
}

bool is_integer_literal(std::string_view literal) noexcept {
  for (char c : literal) {
    if (c == '.' || c == 'e' || c == 'E') return false;
  }
  return true;
}

// Integer members take JSON integers only: a fraction or an exponent makes a
// float, as in Python's json, and those are rejected.
std::optional<std::int64_t> integer_from(std::string_view literal) noexcept {
  std::int64_t number = 0;
  const char* end = literal.data() + literal.size();
  const auto result = std::from_chars(literal.data(), end, number);
  if (!is_integer_literal(literal) || result.ec != std::errc{} || result.ptr != end) return std::nullopt;
  return number;
}

// Float members take any JSON number, correctly rounded. "-0" is the integer
// 0 in Python, hence 0.0 and not -0.0.
std::optional<double> number_from(std::string_view literal) {
  double number = 0;
  const char* end = literal.data() + literal.size();
  const auto result = std::from_chars(literal.data(), end, number);
  if (result.ec == std::errc::result_out_of_range) {
    number = parse_out_of_range(literal);
  } else if (result.ec != std::errc{} || result.ptr != end) {
    return std::nullopt;
  }
  if (number == 0 && is_integer_literal(literal)) number = 0.0;
  return number;
}

bool store_number(const field_rule& rule, std::string_view literal, value& slot) {
  if (rule.kind == value_kind::integer) {
    const auto number = integer_from(literal);
    if (!number || !check_integer(rule, *number)) return false;
    slot = *number;
    return true;
  }
  if (rule.kind == value_kind::number) {
    const auto number = number_from(literal);
    if (!number || !check_number(rule, *number)) return false;
    slot = *number;
    return true;
  }
  return false;
}

bool store_text(const field_rule& rule, std::string_view text, message_type type, value& slot) {
  switch (rule.kind) {
    case value_kind::text:
      if (!check_text(rule, text, type)) return false;
      slot.emplace<std::string>(text);
      return true;
    case value_kind::datetime: {
      const auto t = datetime::parse(text);
      if (t) slot = *t;
      return t.has_value();
    }
    case value_kind::date: {
      const auto d = date::parse(text);
      if (d) slot = *d;
      return d.has_value();
    }
    default: return false;
  }
}

// The SAX handler. Depth 0 is outside the root, depth 1 inside it: only
// values at depth 1 belong to members; deeper ones are inside ignored or
// invalid members and only need to be well-formed.
class member_reader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, member_reader> {
 public:
  member_reader(message_type type, std::span<value> values) noexcept
      : type_{type}, schema_{schema_of(type)}, values_{values} {}

  bool complete() const noexcept {
    for (std::size_t i = 0; i < schema_.size(); ++i) {
      if (!valid_[i]) return false;
    }
    return true;
  }

  bool StartObject() { return open(); }
  bool StartArray() { return depth_ > 0 && open(); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  bool Key(const char* data, rapidjson::SizeType size, bool) {
    const std::string_view key(data, size);
    if (depth_ == 1) member_ = position_of(schema_, key);
    return (depth_ == 1 && member_) || utf8::is_valid(key);
  }

  bool String(const char* data, rapidjson::SizeType size, bool) {
    const std::string_view text(data, size);
    const bool stored = at_member() && store_text(schema_[*member_], text, type_, values_[*member_]);
    if (at_member()) record(stored);
    // A stored value has passed a stricter check; any other string, even one
    // a later duplicate key will replace, must still be valid UTF-8.
    return stored || (depth_ > 0 && utf8::is_valid(text));
  }

  bool RawNumber(const char* data, rapidjson::SizeType size, bool) {
    if (at_member()) record(store_number(schema_[*member_], std::string_view(data, size), values_[*member_]));
    return depth_ > 0;
  }

  // null and booleans (the only events left): never valid for a member.
  bool Default() {
    if (at_member()) record(false);
    return depth_ > 0;
  }

 private:
  bool at_member() const noexcept { return depth_ == 1 && member_; }

  void record(bool ok) noexcept { valid_[*member_] = ok; }

  bool open() {
    if (at_member()) record(false);  // objects and arrays are never valid members
    return ++depth_ <= max_depth;
  }

  bool close() noexcept {
    --depth_;
    return true;
  }

  message_type type_;
  std::span<const field_rule> schema_;
  std::span<value> values_;
  std::array<bool, max_fields_per_type> valid_{};  // per schema row: present, and valid where it last occurred
  std::optional<std::size_t> member_;              // schema row of the current key at depth 1
  int depth_ = 0;
};

bool only_whitespace(std::string_view rest) noexcept {
  return rest.find_first_not_of(" \t\n\r") == std::string_view::npos;
}

}  // namespace

bool read_members(message_type type, std::string_view body, std::span<value> values) {
  alignas(std::max_align_t) char arena[arena_bytes];
  rapidjson::MemoryPoolAllocator<> pool(arena, sizeof arena, overflow_chunk_bytes);
  reader_type reader(&pool, reader_stack_bytes);
  // MemoryStream reads '\0' at the end: a body "{...}\0..." would look complete
  // to the reader, so it stops after the root and we check the rest ourselves.
  rapidjson::MemoryStream stream(body.data(), body.size());
  member_reader handler(type, values);
  if (reader.Parse<parse_flags>(stream, handler).IsError()) return false;
  return only_whitespace(body.substr(stream.Tell())) && handler.complete();
}

}  // namespace swpt::smp::detail

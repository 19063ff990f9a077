#include "core/smp/message.hpp"

#include "core/smp/json_reader.hpp"
#include "core/smp/json_text.hpp"
#include "core/smp/rules.hpp"
#include "core/smp/schema.hpp"

#include <bitset>
#include <stdexcept>

namespace swpt::smp {
namespace {

// A re-emitted body is rarely longer than this; one allocation covers it.
constexpr std::size_t typical_body_bytes = 512;

struct value_writer {
  std::string& out;

  void operator()(std::int64_t number) const { append_json_int(out, number); }
  void operator()(double number) const { append_json_float(out, number); }
  void operator()(const std::string& text) const { append_json_string(out, text); }

  // Datetimes and dates are plain ASCII: quoting is all they need.
  void operator()(const datetime& t) const {
    out += '"';
    t.append_to(out);
    out += '"';
  }
  void operator()(const date& d) const {
    out += '"';
    d.append_to(out);
    out += '"';
  }
};

}  // namespace

std::optional<message> message::parse(message_type type, std::string_view json_body) {
  message m{type};
  if (!detail::read_members(type, json_body, m.values_) || !detail::cross_fields_ok(m)) return std::nullopt;
  return m;
}

std::optional<message> message::make(message_type type, std::initializer_list<std::pair<field, value>> members) {
  const auto schema = detail::schema_of(type);
  message m{type};
  std::bitset<max_fields_per_type> given;
  for (const auto& [name, v] : members) {
    const auto pos = detail::position_of(schema, name);
    if (!pos) return std::nullopt;
    value checked = v;
    if (!detail::admit(schema[*pos], checked, type)) return std::nullopt;
    m.values_[*pos] = std::move(checked);
    given.set(*pos);
  }
  const std::size_t type_pos = *detail::position_of(schema, field::type);
  if (!given[type_pos]) {
    m.values_[type_pos] = std::string(type_name(type));
    given.set(type_pos);
  }
  if (given.count() != schema.size() || !detail::cross_fields_ok(m)) return std::nullopt;
  return m;
}

bool message::has(field f) const noexcept { return detail::position_of(detail::schema_of(type_), f).has_value(); }

std::size_t message::position(field f) const {
  if (const auto pos = detail::position_of(detail::schema_of(type_), f)) return *pos;
  throw std::invalid_argument(std::string(type_name(type_)) + " has no member " + std::string(field_name(f)));
}

std::int64_t message::i64(field f) const { return std::get<std::int64_t>(values_[position(f)]); }

double message::f64(field f) const { return std::get<double>(values_[position(f)]); }

const std::string& message::str(field f) const { return std::get<std::string>(values_[position(f)]); }

const datetime& message::dt(field f) const { return std::get<datetime>(values_[position(f)]); }

const date& message::day(field f) const { return std::get<date>(values_[position(f)]); }

void message::set_i64(field f, std::int64_t v) { std::get<std::int64_t>(values_[position(f)]) = v; }

std::string message::to_json() const {
  std::string out;
  out.reserve(typical_body_bytes);
  append_json(out);
  return out;
}

void message::append_json(std::string& out) const {
  const auto schema = detail::schema_of(type_);
  out += '{';
  for (std::size_t i = 0; i < schema.size(); ++i) {
    if (i > 0) out += ", ";
    out += '"';
    out += field_name(schema[i].name);  // plain ASCII identifiers: nothing to escape
    out += "\": ";
    std::visit(value_writer{out}, values_[i]);
  }
  out += '}';
}

}  // namespace swpt::smp

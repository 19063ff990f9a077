#include "core/smp/datetime.hpp"

#include <chrono>
#include <cstdlib>

namespace swpt::smp {
namespace {

namespace chr = std::chrono;

constexpr int min_year = 1, max_year = 9999;  // Python's datetime range
constexpr int max_fraction_digits = 12;       // more digits: invalid
constexpr int used_fraction_digits = 6;       // microseconds; the rest is ignored
constexpr int max_offset_hours = 23;          // |offset| < 24 h

// A cursor over the text. Every "digit" is an ASCII digit: the original's
// acceptance of other Unicode decimal digits is a quirk we do not keep.
class scanner {
 public:
  explicit scanner(std::string_view text) noexcept : text_{text} {}

  bool done() const noexcept { return pos_ == text_.size(); }

  bool eat(char c) noexcept {
    if (done() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  bool digit(int& out) noexcept {
    if (done() || text_[pos_] < '0' || text_[pos_] > '9') return false;
    out = text_[pos_++] - '0';
    return true;
  }

  // Greedily reads min..max digits. Greedy reading is exact here because
  // every number in the grammar is followed by a non-digit or the end.
  bool number(int min, int max, int& out) noexcept {
    out = 0;
    int count = 0;
    for (int d; count < max && digit(d); ++count) out = out * 10 + d;
    return count >= min;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool read_date(scanner& s, int& year, int& month, int& day) noexcept {
  return s.number(4, 4, year) && s.eat('-') && s.number(1, 2, month) && s.eat('-') && s.number(1, 2, day);
}

bool read_fraction(scanner& s, int& microsecond) noexcept {
  microsecond = 0;
  int count = 0;
  for (int d; count < max_fraction_digits && s.digit(d); ++count) {
    if (count < used_fraction_digits) microsecond = microsecond * 10 + d;
  }
  for (int pad = count; pad < used_fraction_digits; ++pad) microsecond *= 10;
  return count > 0;
}

// Nothing left: naive. Otherwise Z, ±HH, ±HHMM or ±HH:MM.
bool read_offset(scanner& s, std::optional<int>& offset) noexcept {
  if (s.done()) return true;
  if (s.eat('Z')) {
    offset = 0;
    return true;
  }
  const int sign = s.eat('+') ? 1 : s.eat('-') ? -1 : 0;
  int hours = 0, minutes = 0;
  if (sign == 0 || !s.number(2, 2, hours)) return false;
  if (!s.done()) {
    s.eat(':');
    if (!s.number(2, 2, minutes)) return false;
  }
  if (hours > max_offset_hours || minutes > 59) return false;
  offset = sign * (hours * 60 + minutes);
  return true;
}

bool valid_date(int year, int month, int day) noexcept {
  // chrono's month and day keep only 8 bits: range-check before building them.
  if (year < min_year || year > max_year || month < 1 || month > 12 || day < 1 || day > 31) return false;
  const chr::year_month_day ymd{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                                chr::day{static_cast<unsigned>(day)}};
  return ymd.ok();
}

std::int64_t days_since_epoch(int year, int month, int day) noexcept {
  const chr::year_month_day ymd{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                                chr::day{static_cast<unsigned>(day)}};
  return chr::sys_days{ymd}.time_since_epoch().count();
}

// Writes `value` as exactly `width` decimal digits, zero-padded.
char* put_digits(char* p, int value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

char* put_date(char* p, int year, int month, int day) noexcept {
  p = put_digits(p, year, 4);
  *p++ = '-';
  p = put_digits(p, month, 2);
  *p++ = '-';
  return put_digits(p, day, 2);
}

}  // namespace

std::optional<datetime> datetime::parse(std::string_view text) noexcept {
  scanner s{text};
  datetime t;
  if (!read_date(s, t.year, t.month, t.day)) return std::nullopt;
  if (!s.eat('T') && !s.eat(' ')) return std::nullopt;
  if (!s.number(1, 2, t.hour) || !s.eat(':') || !s.number(1, 2, t.minute)) return std::nullopt;
  if (s.eat(':')) {
    if (!s.number(1, 2, t.second)) return std::nullopt;
    if (s.eat('.') && !read_fraction(s, t.microsecond)) return std::nullopt;
  }
  if (!read_offset(s, t.offset_minutes) || !s.done() || !t.valid()) return std::nullopt;
  return t;
}

datetime datetime::from_utc_microseconds(std::int64_t us) noexcept {
  const chr::sys_time<chr::microseconds> instant{chr::microseconds{us}};
  const auto midnight = chr::floor<chr::days>(instant);
  const chr::year_month_day ymd{midnight};
  const chr::hh_mm_ss time{instant - midnight};
  return datetime{
      .year = static_cast<int>(ymd.year()),
      .month = static_cast<int>(static_cast<unsigned>(ymd.month())),
      .day = static_cast<int>(static_cast<unsigned>(ymd.day())),
      .hour = static_cast<int>(time.hours().count()),
      .minute = static_cast<int>(time.minutes().count()),
      .second = static_cast<int>(time.seconds().count()),
      .microsecond = static_cast<int>(time.subseconds().count()),
      .offset_minutes = 0,
  };
}

bool datetime::valid() const noexcept {
  constexpr int max_offset = max_offset_hours * 60 + 59;
  return valid_date(year, month, day) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 &&
         second >= 0 && second <= 59 && microsecond >= 0 && microsecond <= 999'999 &&
         (!offset_minutes || std::abs(*offset_minutes) <= max_offset);
}

std::optional<std::int64_t> datetime::utc_microseconds() const noexcept {
  if (!offset_minutes) return std::nullopt;
  const std::int64_t seconds = days_since_epoch(year, month, day) * 86'400 + hour * 3'600 +
                               (minute - *offset_minutes) * 60 + second;
  return seconds * 1'000'000 + microsecond;
}

std::string datetime::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

void datetime::append_to(std::string& out) const {
  char buf[40];
  char* p = put_date(buf, year, month, day);
  *p++ = 'T';
  p = put_digits(p, hour, 2);
  *p++ = ':';
  p = put_digits(p, minute, 2);
  *p++ = ':';
  p = put_digits(p, second, 2);
  if (microsecond != 0) {
    *p++ = '.';
    p = put_digits(p, microsecond, 6);
  }
  if (offset_minutes) {
    const int magnitude = std::abs(*offset_minutes);
    *p++ = *offset_minutes < 0 ? '-' : '+';
    p = put_digits(p, magnitude / 60, 2);
    *p++ = ':';
    p = put_digits(p, magnitude % 60, 2);
  }
  out.append(buf, p);
}

std::optional<date> date::parse(std::string_view text) noexcept {
  scanner s{text};
  date d;
  if (!read_date(s, d.year, d.month, d.day) || !s.done() || !d.valid()) return std::nullopt;
  return d;
}

bool date::valid() const noexcept { return valid_date(year, month, day); }

std::string date::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

void date::append_to(std::string& out) const {
  char buf[16];
  out.append(buf, put_date(buf, year, month, day));
}

}  // namespace swpt::smp

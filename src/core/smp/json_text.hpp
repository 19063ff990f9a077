#pragma once
// JSON scalars written exactly as Python's json.dumps writes them (the
// original re-emits every SMP message that way; docs/smp-messages.md §4), so that
// peers comparing bodies byte for byte see no difference.

#include <cstdint>
#include <string>
#include <string_view>

namespace swpt::smp {

// A quoted string, ASCII only: \" \\ \n \r \t \b \f, every other character
// outside U+0020..U+007E as \uXXXX with lowercase hex (a surrogate pair above
// U+FFFF); '/' is not escaped. `utf8` must be valid UTF-8 (an invalid byte
// would come out as \ufffd).
void append_json_string(std::string& out, std::string_view utf8);

void append_json_int(std::string& out, std::int64_t number);

// Python's repr(): the shortest digits that round-trip; fixed notation when
// the decimal exponent is in [-4, 16) and then always with a fraction
// ("1000.0", "-0.0"); otherwise "d.ddde±XX" ("1e+16", "1.5e-05").
// `number` must be finite (JSON has no NaN or Infinity).
void append_json_float(std::string& out, double number);

}  // namespace swpt::smp

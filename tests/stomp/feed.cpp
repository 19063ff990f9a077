#include "feed.hpp"

#include <fmt/format.h>

using swpt::stomp::parse_status;

namespace stomp_test {

std::string printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\0') out += "\\0";
    else if (c == '\\') out += "\\\\";
    else if (u < 0x20 || u >= 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

std::string describe(const swpt::stomp::frame& f) {
  std::string out = f.command + " {";
  for (const auto& [k, v] : f.headers) out += " [" + printable(k) + "]=[" + printable(v) + "]";
  return out + " } body [" + printable(f.body) + "]";
}

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  for (const auto& f : o.frames) os << describe(f) << "\n";
  if (o.error) os << "error: " << o.error.message() << "\n";
  return os << "pending [" << printable(o.pending) << "]";
}

void feeder::push(std::string_view chunk) {
  buffer_.append(chunk);
  for (;;) {
    const auto r = parser_.parse(buffer_);
    if (outcome_.error) {
      CHECK(r.status == parse_status::error);
      CHECK(r.error == outcome_.error);
      return;
    }
    switch (r.status) {
      case parse_status::need_more: return;
      case parse_status::heartbeat: REQUIRE(r.consumed > 0); break;
      case parse_status::frame: outcome_.frames.push_back(r.frame.to_frame()); break;
      case parse_status::error:
        REQUIRE(r.error);
        outcome_.error = r.error;
        return;
    }
    REQUIRE(r.consumed <= buffer_.size());
    buffer_.erase(0, r.consumed);
  }
}

outcome feeder::result() const {
  outcome o = outcome_;
  if (o.error) return o;
  std::string_view rest = buffer_;
  for (;;) {
    if (rest.starts_with('\n')) rest.remove_prefix(1);
    else if (rest.starts_with("\r\n")) rest.remove_prefix(2);
    else break;
  }
  o.pending = rest;
  return o;
}

outcome feed_split(std::string_view input, const std::vector<std::size_t>& cuts,
                   swpt::stomp::parser_limits limits) {
  feeder f{limits};
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    f.push(input.substr(from, cut - from));
    from = cut;
  }
  f.push(input.substr(from));
  return f.result();
}

outcome feed_whole(std::string_view input, swpt::stomp::parser_limits limits) {
  return feed_split(input, {}, limits);
}

outcome feed_bytewise(std::string_view input, swpt::stomp::parser_limits limits) {
  feeder f{limits};
  for (char c : input) f.push(std::string_view{&c, 1});
  return f.result();
}

outcome feed_every_way(std::string_view input, swpt::stomp::parser_limits limits) {
  const outcome whole = feed_whole(input, limits);
  INFO("input: " << printable(input.substr(0, 200)));
  CHECK(feed_bytewise(input, limits) == whole);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    const outcome split = feed_split(input, {cut}, limits);
    if (split == whole) continue;
    INFO("split at " << cut);
    CHECK(split == whole);
    break;  // one report per input is enough
  }
  return whole;
}

}  // namespace stomp_test

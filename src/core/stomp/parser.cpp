#include "core/stomp/parser.hpp"

#include "core/stomp/escape.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace swpt::stomp {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Classes of header-line bytes. Plain bytes, the vast majority, are 0; a line
// is vetted by OR-ing the classes of its few other bytes and testing the sum.
enum : std::uint8_t {
  plain = 0,
  colon = 1,
  backslash = 2,  // an escape: the text is unescaped into scratch storage
  non_ascii = 4,  // the text needs UTF-8 validation
  // CR (other than the one before LF) is outlawed by STOMP 1.2. NUL is a
  // deliberate difference from the original, which accepts it as an ordinary
  // character: STOMP 1.2 uses NUL only as the frame terminator, and a NUL in
  // a head means the peer lost framing (e.g. a frame sent without its blank
  // line), which we would rather report than paper over.
  forbidden = 8,
};

constexpr std::array<std::uint8_t, 256> byte_classes = [] {
  std::array<std::uint8_t, 256> t{};
  t[':'] = colon;
  t['\\'] = backslash;
  t['\r'] = forbidden;
  t['\0'] = forbidden;
  for (std::size_t c = 0x80; c < t.size(); ++c) t[c] = non_ascii;
  return t;
}();

std::uint8_t class_of(char c) noexcept { return byte_classes[static_cast<unsigned char>(c)]; }

bool is_command_char(char c) noexcept { return c >= 'A' && c <= 'Z'; }

// The position of the first `c` in buf[from, to), or npos.
std::size_t find_byte(std::string_view buf, char c, std::size_t from, std::size_t to) noexcept {
  if (from >= to) return npos;
  const void* p = std::memchr(buf.data() + from, c, to - from);
  return p ? static_cast<std::size_t>(static_cast<const char*>(p) - buf.data()) : npos;
}

// The position of the first byte of line[from, size) whose class is not
// plain, or the size. Eight bytes at a time: header lines are mostly plain
// ASCII, and this is the parser's innermost loop.
std::size_t find_special(std::string_view line, std::size_t from) noexcept {
  std::size_t i = from;
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    // High bit of each byte equal to `c` (exact for the lowest such byte,
    // which is all countr_zero looks at).
    const auto equal = [](std::uint64_t w, char c) {
      const std::uint64_t x = w ^ (ones * static_cast<unsigned char>(c));
      return (x - ones) & ~x & highs;
    };
    for (; i + 8 <= line.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, line.data() + i, 8);
      const std::uint64_t special =
          (w & highs) | equal(w, ':') | equal(w, '\\') | equal(w, '\r') | equal(w, '\0');
      if (special) return i + static_cast<std::size_t>(std::countr_zero(special)) / 8;
    }
  }
  while (i < line.size() && class_of(line[i]) == plain) ++i;
  return i;
}

// A complete header line (EOL stripped) sorted out in one pass.
struct line_classes {
  std::size_t colon = npos;  // the first ':'
  std::uint8_t key = 0;      // OR of the key's byte classes
  std::uint8_t value = 0;    // OR of the value's byte classes; has `colon` if a second ':' occurs
};

line_classes classify(std::string_view line) noexcept {
  line_classes lc;
  std::size_t i = find_special(line, 0);
  for (; i < line.size(); i = find_special(line, i + 1)) {
    const std::uint8_t c = class_of(line[i]);
    if (c == colon) break;
    lc.key |= c;
  }
  if (i == line.size()) return lc;
  lc.colon = i;
  for (i = find_special(line, i + 1); i < line.size(); i = find_special(line, i + 1))
    lc.value |= class_of(line[i]);
  return lc;
}

// The content-length as a body minimum. Only plain decimal digits count (the
// original accepts whatever Python's int() does: " 3 ", "+3", "1_0"); any
// other text counts as 0 and the frame is still accepted, since that is what
// peers see from the original. Values above `cap` come back as `cap`, which
// keeps the arithmetic free of overflow for absurdly long digit strings.
std::size_t parse_content_length(std::string_view text, std::size_t cap) noexcept {
  if (text.empty()) return 0;
  std::size_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    n = std::min(cap, n * 10 + static_cast<std::size_t>(c - '0'));
  }
  return n;
}

}  // namespace

parse_result parser::parse(std::string_view buf) {
  for (;;) {
    std::optional<parse_result> r;
    switch (state_) {
      case state::eols: r = skip_eols(buf); break;
      case state::command: r = read_command(buf); break;
      case state::headers: r = read_headers(buf); break;
      case state::body: r = read_body(buf); break;
      case state::failed: return error_result();
    }
    if (r) return *r;
  }
}

// Heart-beats: any run of LF or CRLF before a frame.
std::optional<parse_result> parser::skip_eols(std::string_view buf) {
  std::size_t i = 0;
  while (i < buf.size()) {
    if (buf[i] == '\n') {
      ++i;
    } else if (buf[i] != '\r') {
      start_frame(i);
      return std::nullopt;
    } else if (i + 1 == buf.size()) {
      break;  // maybe half of a CRLF: wait (the original fails here, a known quirk)
    } else if (buf[i + 1] == '\n') {
      i += 2;
    } else {
      return fail(errc::invalid_frame);
    }
  }
  if (i == 0) return parse_result{};
  return parse_result{parse_status::heartbeat, i, {}, {}};
}

void parser::start_frame(std::size_t at) noexcept {
  state_ = state::command;
  frame_start_ = scan_ = at;
  header_bytes_ = 0;
  content_length_ = 0;
  have_content_length_ = false;
  refs_.clear();
  scratch_.clear();
}

std::optional<parse_result> parser::read_command(std::string_view buf) {
  // The LF of a valid command line lies within command + CR + LF bytes.
  const std::size_t limit = std::min(buf.size(), frame_start_ + limits_.max_command + 2);
  const std::size_t eol = find_byte(buf, '\n', scan_, limit);
  if (eol == npos) {
    if (!partial_command_ok(buf, limit)) return fail(errc::invalid_frame);
    scan_ = limit;
    return parse_result{};
  }
  std::size_t end = eol;
  if (end > frame_start_ && buf[end - 1] == '\r') --end;
  // Only A-Z: any other byte, non-ASCII included, breaks the grammar, so it
  // is errc::invalid_frame rather than a UTF-8 error.
  const std::string_view command = buf.substr(frame_start_, end - frame_start_);
  if (command.empty() || command.size() > limits_.max_command ||
      !std::all_of(command.begin(), command.end(), is_command_char))
    return fail(errc::invalid_frame);
  command_size_ = command.size();
  state_ = state::headers;
  line_start_ = scan_ = eol + 1;
  line_colon_ = none;
  return std::nullopt;
}

// Whether the unfinished command line buf[frame_start_, end) can still become
// valid; only bytes from scan_ on are new. Failing here rather than at the LF
// stops a peer that is not speaking STOMP at its first wrong byte.
bool parser::partial_command_ok(std::string_view buf, std::size_t end) const noexcept {
  if (scan_ > frame_start_ && scan_ < end && buf[scan_ - 1] == '\r')
    return false;  // that CR was the last byte last time; no LF followed it
  for (std::size_t i = scan_; i < end; ++i)
    if (!is_command_char(buf[i]) && !(buf[i] == '\r' && i + 1 == end)) return false;
  const std::size_t size = end - frame_start_ - (buf[end - 1] == '\r' ? 1 : 0);
  return size <= limits_.max_command;
}

std::optional<parse_result> parser::read_headers(std::string_view buf) {
  // The LF of a valid header line lies within key + ':' + value + CR + LF bytes.
  const std::size_t max_line = limits_.max_key + limits_.max_value + 3;
  for (;;) {
    const std::size_t limit = std::min(buf.size(), line_start_ + max_line);
    const std::size_t eol = find_byte(buf, '\n', scan_, limit);
    if (eol == npos) {
      if (!partial_header_ok(buf, limit)) return fail(errc::invalid_frame);
      scan_ = limit;
      return parse_result{};
    }
    if (auto r = take_header_line(buf, eol)) return r;
    if (state_ != state::headers) return std::nullopt;  // that was the blank line
  }
}

// Whether the unfinished header line buf[line_start_, end) can still become a
// valid header line or the blank line; only bytes from scan_ on are new. Only
// conditions that take_header_line() would report as errc::invalid_frame
// (and checks first) are tested, so every way of splitting the input yields
// the same error.
bool parser::partial_header_ok(std::string_view buf, std::size_t end) noexcept {
  const std::size_t start = line_start_;
  if (scan_ > start && scan_ < end && buf[scan_ - 1] == '\r') return false;
  for (std::size_t i = scan_; i < end; ++i) {
    const char c = buf[i];
    if (c == '\0' || (c == '\r' && i + 1 != end)) return false;
    if (c != ':') continue;
    if (line_colon_ != none || i == start) return false;  // a second ':' or an empty key
    line_colon_ = i;
  }
  const bool cr = end > start && buf[end - 1] == '\r';
  const std::size_t text_end = end - (cr ? 1 : 0);
  if (text_end == start) return true;  // "" or "\r": maybe the blank line
  if (refs_.size() >= limits_.max_header_lines) return false;
  if (line_colon_ == none) return !cr && text_end - start <= limits_.max_key;
  return line_colon_ - start <= limits_.max_key && text_end - line_colon_ - 1 <= limits_.max_value;
}

// Checks, in this order, every STOMP error of one complete line: its shape
// and lengths, the header block size, then key and value escapes and UTF-8.
// The original sizes the header block only at the blank line; we do it per
// line, so a peer cannot make us buffer 50 lines of 1000 bytes.
std::optional<parse_result> parser::take_header_line(std::string_view buf, std::size_t eol) {
  std::size_t end = eol;
  if (end > line_start_ && buf[end - 1] == '\r') --end;
  if (end == line_start_) return end_of_head(eol);
  if (refs_.size() >= limits_.max_header_lines) return fail(errc::invalid_frame);

  const std::string_view line = buf.substr(line_start_, end - line_start_);
  const line_classes lc = classify(line);
  if (lc.colon == npos || lc.colon == 0 || lc.colon > limits_.max_key ||
      line.size() - lc.colon - 1 > limits_.max_value || ((lc.key | lc.value) & (forbidden | colon)))
    return fail(errc::invalid_frame);

  header_bytes_ += eol + 1 - line_start_;
  if (header_bytes_ > limits_.max_header_block) return fail(errc::header_too_big);

  header_ref h;
  const std::size_t value_start = line_start_ + lc.colon + 1;
  if (errc e = resolve_text(buf, line_start_, lc.colon, lc.key, h.key); e != errc{}) return fail(e);
  if (errc e = resolve_text(buf, value_start, end - value_start, lc.value, h.value); e != errc{})
    return fail(e);
  refs_.push_back(h);
  note_content_length(buf, h);
  line_start_ = scan_ = eol + 1;
  line_colon_ = none;
  return std::nullopt;
}

// Unescapes (only when the text has a backslash) and validates (only when it
// has a non-ASCII byte) one key or value; the common case copies nothing.
errc parser::resolve_text(std::string_view buf, std::size_t offset, std::size_t size,
                          std::uint8_t classes, text_ref& out) {
  const std::string_view raw = buf.substr(offset, size);
  out = {offset, size, false};
  if (classes & backslash) {
    out = {scratch_.size(), 0, true};
    if (!append_unescaped(scratch_, raw)) return errc::invalid_header;
    out.size = scratch_.size() - out.offset;
  }
  // Escapes are ASCII, so validating the raw text validates the result.
  if ((classes & non_ascii) && !utf8::is_valid(raw)) return errc::utf8_decode_error;
  return errc{};
}

void parser::note_content_length(std::string_view buf, const header_ref& h) noexcept {
  if (have_content_length_ || text_of(buf, h.key) != "content-length") return;
  have_content_length_ = true;  // the first occurrence wins, as for every header
  content_length_ = parse_content_length(text_of(buf, h.value), limits_.max_body + 1);
}

std::optional<parse_result> parser::end_of_head(std::size_t eol) {
  if (content_length_ > limits_.max_body) return fail(errc::content_length_too_large);
  state_ = state::body;
  body_start_ = eol + 1;
  // content-length is a minimum: the body ends at the first NUL at or after
  // it, so bytes before it need no search.
  scan_ = body_start_ + content_length_;
  return std::nullopt;
}

std::optional<parse_result> parser::read_body(std::string_view buf) {
  const std::size_t limit = body_start_ + limits_.max_body + 1;  // a NUL here is one byte too late
  const std::size_t to = std::min(buf.size(), limit);
  if (scan_ < to) {
    const std::size_t nul = find_byte(buf, '\0', scan_, to);
    if (nul != npos) return frame_result(buf, nul);
    scan_ = to;
  }
  if (buf.size() >= limit) return fail(errc::body_too_large);
  return parse_result{};
}

std::string_view parser::text_of(std::string_view buf, const text_ref& t) const noexcept {
  return (t.in_scratch ? std::string_view{scratch_} : buf).substr(t.offset, t.size);
}

// Views are made only now: before this, `buf` and scratch_ could still move.
// scratch_ and views_ stay untouched until the next frame starts, which keeps
// the returned view valid until the next parse() call.
parse_result parser::frame_result(std::string_view buf, std::size_t nul) {
  views_.clear();
  for (const header_ref& h : refs_) views_.emplace_back(text_of(buf, h.key), text_of(buf, h.value));
  const frame_view f{buf.substr(frame_start_, command_size_), views_,
                     buf.substr(body_start_, nul - body_start_)};
  state_ = state::eols;
  scan_ = 0;
  return parse_result{parse_status::frame, nul + 1, f, {}};
}

parse_result parser::fail(errc e) noexcept {
  state_ = state::failed;
  error_ = e;
  return error_result();
}

parse_result parser::error_result() const noexcept {
  return parse_result{parse_status::error, 0, {}, error_};
}

}  // namespace swpt::stomp

#pragma once
// The STOMP 1.2 frame parser: bytes in, frames out, no I/O.
//
// Contract (as Boost.Redis's and AMQP-CPP's parsers): the caller owns the
// input buffer. Each parse() call gets ALL unconsumed bytes: what was passed
// last time, unchanged, as a prefix, plus whatever arrived since. The parser
// remembers how far it has scanned, so feeding one byte at a time costs
// linear, not quadratic, time. After a `frame` or `heartbeat` result the
// caller drops `consumed` bytes from the front of its buffer and calls again
// with the rest (there may be more frames in it); after `need_more` it reads
// more bytes first. A caller that reads into a large buffer should advance an
// offset rather than erase the front after each frame, and compact only
// before the next read.
//
// The grammar and errors are those of the original (docs/stomp.md §1),
// except where it is wrong or lenient, which we do deliberately differently:
// - a CRLF heart-beat split across two reads waits for its LF (the original
//   fails);
// - content-length counts only as plain decimal digits; " 3 ", "+3", "1_0",
//   "-3" count as 0, like any non-numeric text (the frame is still accepted);
// - a NUL in a command or header line is errc::invalid_frame (the original
//   takes it as an ordinary header character);
// - the header block size is checked as each line completes, not only at the
//   blank line, so it can fail before the rest of an oversized head arrives;
// - an unfinished head fails at the first byte that rules out every valid
//   continuation (a 51st header line, a 501st key byte, a second ':', ...).

#include "core/stomp/error.hpp"
#include "core/stomp/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace swpt::stomp {

// Bounds on what a peer may make us buffer. The defaults are the original's:
// SMP messages are small JSON documents, so anything bigger is an error or an
// attack, and a server holds every connection's partial frame in memory.
struct parser_limits {
  std::size_t max_header_block = 4096;  // header lines with their EOLs, blank line excluded
  std::size_t max_body = 8192;          // body bytes, terminating NUL excluded
  std::size_t max_header_lines = 50;    // header lines per frame
  std::size_t max_command = 50;         // command characters (A-Z)
  std::size_t max_key = 500;            // header key bytes, counted before unescaping
  std::size_t max_value = 500;          // header value bytes, counted before unescaping
};

enum class parse_status {
  need_more,  // no complete frame yet: read more bytes, then call again with all of them
  heartbeat,  // the buffer began with heart-beat EOLs only: drop `consumed` bytes
  frame,      // `frame` is complete: use it, then drop `consumed` bytes
  error,      // the stream is broken: `error` says why; the parser stays dead
};

struct parse_result {
  parse_status status = parse_status::need_more;
  // Bytes to drop from the front of the buffer: leading heart-beat EOLs plus,
  // for a frame, everything up to and including its terminating NUL.
  std::size_t consumed = 0;
  // Valid only for parse_status::frame, and only until the next parse() call
  // or until the caller changes its buffer: it points into both.
  frame_view frame;
  std::error_code error;  // set only for parse_status::error; message() is the ERROR text
};

class parser {
 public:
  explicit parser(parser_limits limits = {}) noexcept : limits_{limits} {}

  // `buffer` must start with the bytes of the previous call minus what that
  // call reported as consumed (see the contract above).
  parse_result parse(std::string_view buffer);

  const parser_limits& limits() const noexcept { return limits_; }

 private:
  enum class state { eols, command, headers, body, failed };

  // Header text stays as offsets until the frame is complete, because the
  // caller may reallocate its buffer between calls (and scratch_ may grow).
  struct text_ref {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool in_scratch = false;  // an unescaped copy in scratch_, else raw bytes of the buffer
  };
  struct header_ref {
    text_ref key, value;
  };

  // Each step returns nullopt when it moved to the next state (parse() then
  // goes on), else the result for the caller.
  std::optional<parse_result> skip_eols(std::string_view buf);
  std::optional<parse_result> read_command(std::string_view buf);
  std::optional<parse_result> read_headers(std::string_view buf);
  std::optional<parse_result> take_header_line(std::string_view buf, std::size_t eol);
  std::optional<parse_result> end_of_head(std::size_t eol);
  std::optional<parse_result> read_body(std::string_view buf);

  bool partial_command_ok(std::string_view buf, std::size_t end) const noexcept;
  bool partial_header_ok(std::string_view buf, std::size_t end) noexcept;
  errc resolve_text(std::string_view buf, std::size_t offset, std::size_t size,
                    std::uint8_t classes, text_ref& out);
  void note_content_length(std::string_view buf, const header_ref& h) noexcept;
  std::string_view text_of(std::string_view buf, const text_ref& t) const noexcept;
  void start_frame(std::size_t at) noexcept;
  parse_result frame_result(std::string_view buf, std::size_t nul);
  parse_result fail(errc e) noexcept;
  parse_result error_result() const noexcept;

  static constexpr std::size_t none = std::string_view::npos;

  parser_limits limits_;
  state state_ = state::eols;
  std::error_code error_;

  // Offsets into the caller's buffer. Invariant: bytes before scan_ have been
  // examined and need no second look (except by one whole-line pass when a
  // line completes).
  std::size_t scan_ = 0;
  std::size_t frame_start_ = 0;    // first byte of the command
  std::size_t command_size_ = 0;
  std::size_t line_start_ = 0;     // first byte of the header line being read
  std::size_t line_colon_ = none;  // first ':' of an unfinished header line
  std::size_t header_bytes_ = 0;   // complete header lines so far, with their EOLs
  std::size_t body_start_ = 0;
  std::size_t content_length_ = 0; // 0 when absent or not all digits
  bool have_content_length_ = false;

  // Reused from frame to frame (clear() keeps capacity): after warm-up a
  // frame is parsed without allocating.
  std::vector<header_ref> refs_;
  std::vector<header_view> views_;
  std::string scratch_;  // unescaped header text
};

}  // namespace swpt::stomp

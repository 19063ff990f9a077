// Throughput of the STOMP frame parser on a stream of typical SEND frames
// (six headers, ~400-byte JSON body), fed the way a session's reader feeds
// it: 16 KiB reads into a buffer that drops consumed bytes; then in one big
// chunk; then byte by byte, to show that cost per byte does not grow with the
// frame size (no rescanning).
//
// Usage: parser_bench [seconds per mode, default 3]

#include "core/stomp/parser.hpp"
#include "core/stomp/serializer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace {

using clock_type = std::chrono::steady_clock;
using swpt::stomp::parse_status;

std::string json_body(int i) {
  std::string b = fmt::format(
      R"({{"type":"PrepareTransfer","creditor_id":{},"debtor_id":-{},"coordinator_type":"direct",)"
      R"("coordinator_id":{},"coordinator_request_id":{},"min_locked_amount":1000,)"
      R"("max_locked_amount":2000,"recipient":"{}","final_interest_rate_ts":)"
      R"("2024-01-01T00:00:00+00:00","max_commit_delay":2147483647,"ts":)"
      R"("2024-05-17T12:34:56.789012+00:00"}})",
      4294967296 + i, 1234567890 + i, 4294967296 + i, 100000 + i, 7000000000 + i);
  b.resize(400, ' ');  // JSON allows trailing whitespace; makes every body 400 bytes
  return b;
}

std::string typical_stream(std::size_t min_bytes, std::size_t& frames) {
  std::string stream;
  frames = 0;
  for (int i = 0; stream.size() < min_bytes; ++i, ++frames) {
    const std::string body = json_body(i);
    const std::string receipt = std::to_string(i);
    const std::string length = std::to_string(body.size());
    const swpt::stomp::header_view headers[] = {
        {"destination", "/exchange/smp"},   {"type", "PrepareTransfer"},
        {"content-type", "application/json"}, {"persistent", "true"},
        {"receipt", receipt},               {"content-length", length},
    };
    swpt::stomp::serialize_frame(stream, "SEND", headers, body);
  }
  return stream;
}

// Body and header totals are printed as averages: a sanity check that whole
// frames were parsed, and a use of the results that nothing can optimize away.
struct tally {
  std::size_t bytes = 0;
  std::size_t frames = 0;
  std::size_t body_bytes = 0;
  std::size_t headers = 0;
};

[[noreturn]] void die(const char* what) {
  fmt::print(stderr, "parser_bench: {}\n", what);
  std::exit(1);
}

// Parses every complete frame at the front of `buf` from `offset` on; returns
// the new offset. Advancing an offset instead of erasing per frame is what a
// real reader does: it compacts once per read.
std::size_t drain(swpt::stomp::parser& p, std::string_view buf, std::size_t offset, tally& t) {
  for (;;) {
    const auto r = p.parse(buf.substr(offset));
    if (r.status == parse_status::need_more) return offset;
    if (r.status == parse_status::error) die(r.error.message().c_str());
    if (r.status == parse_status::frame) {
      ++t.frames;
      t.body_bytes += r.frame.body.size();
      t.headers += r.frame.headers.size();
    }
    offset += r.consumed;
    t.bytes += r.consumed;
  }
}

// 16 KiB reads from a source that repeats the stream endlessly.
tally run_reads(const std::string& stream, double seconds, std::size_t read_size) {
  swpt::stomp::parser p;
  std::string buffer;
  buffer.reserve(4 * read_size);
  std::size_t offset = 0, src = 0;
  tally t;
  const auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
  for (std::size_t reads = 0;; ++reads) {
    if (reads % 256 == 0 && clock_type::now() >= deadline) return t;
    buffer.erase(0, offset);  // compact before the next read
    offset = 0;
    const std::size_t n = std::min(read_size, stream.size() - src);
    buffer.append(stream, src, n);
    src = (src + n) % stream.size();
    offset = drain(p, buffer, offset, t);
  }
}

tally run_whole(const std::string& stream, double seconds) {
  tally t;
  const auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
  while (clock_type::now() < deadline) {
    swpt::stomp::parser p;
    if (drain(p, stream, 0, t) != stream.size()) die("stream not fully parsed");
  }
  return t;
}

// One frame with a body of `body_size` bytes, fed one byte per call.
tally run_bytewise(std::size_t body_size, double seconds) {
  std::string frame;
  swpt::stomp::serialize_frame(frame, "SEND", {{"destination", "/exchange/smp"}},
                               std::string(body_size, 'x'));
  tally t;
  std::string buffer;
  const auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
  while (clock_type::now() < deadline) {
    swpt::stomp::parser p;
    buffer.clear();
    for (char c : frame) {
      buffer.push_back(c);
      if (drain(p, buffer, 0, t) != 0) buffer.clear();
    }
  }
  return t;
}

void report(const char* mode, const tally& t, double seconds) {
  const double frames = static_cast<double>(t.frames);
  fmt::print("{:<26} {:>8.1f} MB/s {:>10.0f} frames/s  ({} frames; avg body {:.0f} B, {:.1f} headers)\n",
             mode, static_cast<double>(t.bytes) / seconds / 1e6, frames / seconds, t.frames,
             static_cast<double>(t.body_bytes) / frames, static_cast<double>(t.headers) / frames);
}

template <class Run>
void measure(const char* mode, Run run) {
  const auto start = clock_type::now();
  const tally t = run();
  report(mode, t, std::chrono::duration<double>(clock_type::now() - start).count());
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::size_t frames = 0;
  const std::string stream = typical_stream(64 << 20, frames);
  fmt::print("stream: {} typical SEND frames, {} bytes ({:.0f} bytes/frame)\n", frames,
             stream.size(), static_cast<double>(stream.size()) / static_cast<double>(frames));

  measure("16 KiB reads", [&] { return run_reads(stream, seconds, 16 << 10); });
  measure("one 64 MiB chunk", [&] { return run_whole(stream, seconds); });
  measure("byte by byte, 1 KiB body", [&] { return run_bytewise(1 << 10, seconds / 3); });
  measure("byte by byte, 8 KiB body", [&] { return run_bytewise(8 << 10, seconds / 3); });
}

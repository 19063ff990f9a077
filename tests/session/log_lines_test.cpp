// What a peer can do to the server's log: nothing but one bounded line per
// protocol error, naming the peer, whatever its headers hold.

#include "probe.hpp"

#include "log/log.hpp"
#include "session/admission_log.hpp"

#include <catch2/catch.hpp>

#include <mutex>

using namespace swpt;
using namespace swpt::testing;

namespace {

// Captures every record as its text line, with its fields, until destroyed.
class captured_log {
 public:
  captured_log() {
    log::configure(
        [this](const log::record& r) {
          const std::lock_guard lock{mutex_};
          lines_.push_back(log::format_record(log::format::text, r, std::time(nullptr)));
        },
        log::level::debug);
  }
  ~captured_log() { log::configure(log::stdout_sink(log::format::text), log::level::info); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  std::vector<std::string> containing(std::string_view text) const {
    const std::lock_guard lock{mutex_};
    std::vector<std::string> found;
    for (const auto& line : lines_)
      if (line.find(text) != std::string::npos) found.push_back(line);
    return found;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("a header with an escaped newline yields one log line, naming the peer", "[session][log]") {
  captured_log log;
  aa_server s;
  // `\n` and `\c` are STOMP's escapes for a newline and a colon in a header value.
  const auto send = frame_bytes(
      "SEND\ndestination:/exchange/accounts_in\ntype:PrepareTransfer\nreceipt:1\n"
      "content-type:text/plain\\n2023-06-12 10\\c00\\c00+0000\\cERROR\\cswpt_stomp.server\\cforged\n",
      prepare_transfer_body(1));
  const auto reply = s.reply_to(connect_frame() + send);
  REQUIRE(parse_stream(reply).commands() == std::vector<std::string>{"CONNECTED", "ERROR"});

  INFO(reply);
  const auto lines = log.containing("Unsupported content type");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find('\n') == std::string::npos);
  CHECK(lines[0].find("text/plain\\n2023-06-12") != std::string::npos);
  CHECK(lines[0].ends_with(" [peer=" + s.ca().id + "]"));
  CHECK(log.containing(":forged").size() == 1);  // that same line, not one of its own
}

TEST_CASE("a long header value is logged bounded", "[session][log]") {
  captured_log log;
  aa_server s;
  const std::string type(450, 'T');
  const auto send = frame_bytes(fmt::format("SEND\ndestination:/exchange/accounts_in\ntype:{}\nreceipt:1\n"
                                            "content-type:application/json\n",
                                            type),
                                prepare_transfer_body(1));
  s.reply_to(connect_frame() + send);

  const auto lines = log.containing("Protocol error");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(type) == std::string::npos);
  CHECK(lines[0].find("more bytes)") != std::string::npos);
}

TEST_CASE("a burst of failed handshakes and refusals is one aggregate line each", "[session][log]") {
  captured_log log;
  session::admission_log admissions{log::logger{"swpt_stomp.server"}};
  const auto flooder = asio::ip::make_address("::ffff:192.0.2.7");
  for (int i = 0; i < 100; ++i) {
    admissions.handshake_failed("192.0.2.7:40000", "timed out");
    admissions.refused(flooder, 10);
  }
  CHECK(log.containing(":DEBUG:").size() == 200);
  const auto aggregates = log.containing(":INFO:");
  REQUIRE(aggregates.size() == 2);
  CHECK(aggregates[0].find("SSL handshakes failed or timed out: 1 so far") != std::string::npos);
  CHECK(aggregates[1].find("the latest from 192.0.2.7") != std::string::npos);
}

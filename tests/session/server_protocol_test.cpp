// The server's answers to broken or unexpected frames (docs/stomp.md
// §1, §3.1; docs/message-processing.md §7): one ERROR frame with the exact text,
// then the close. Each test talks to the AA's server as its CA peer.

#include "probe.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace swpt;
using namespace swpt::testing;

namespace {

// What a CA peer hears when it connects and then sends `frames`.
std::string reply_after_connect(aa_server& s, const std::string& frames) {
  return s.reply_to(connect_frame() + frames);
}

// An ERROR naming a rejected message (docs/message-processing.md §7): its
// receipt, type and content type as headers, its body unchanged.
std::string rejection_frame(std::string_view message, std::string_view receipt, std::string_view body) {
  return frame_bytes(fmt::format("ERROR\nmessage:{}\nreceipt-id:{}\ntype:PrepareTransfer\n"
                                 "content-type:application/json\ncontent-length:{}\n",
                                 message, receipt, body.size()),
                     body);
}

}  // namespace

TEST_CASE("a header block over 4096 bytes is too big", "[session][protocol]") {
  aa_server s;
  std::string head = "SEND\n";
  for (int i = 0; i < 9; ++i) head += std::string(500, 'k') + ":\n";  // 4518 bytes
  CHECK(reply_after_connect(s, frame_bytes(head)) == connected_frame() + error_frame("The frame header is too big."));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("a body over 8192 bytes is too large", "[session][protocol]") {
  aa_server s;
  const std::string body(8193, 'x');
  CHECK(reply_after_connect(s, send_frame("1", body)) == connected_frame() + error_frame("The body is too large."));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("an unknown escape sequence in a header is an invalid header", "[session][protocol]") {
  aa_server s;
  CHECK(reply_after_connect(s, frame_bytes("SEND\nkey\\t:value\n")) ==
        connected_frame() + error_frame("Invalid header."));
}

TEST_CASE("a SEND without receipt, type or destination is refused", "[session][protocol]") {
  aa_server s;
  const std::array<std::pair<std::string_view, std::string_view>, 3> headers{{
      {"receipt", "receipt:1\n"},
      {"type", "type:PrepareTransfer\n"},
      {"destination", "destination:/exchange/accounts_in\n"},
  }};
  for (const auto& [missing, _] : headers) {
    std::string head = "SEND\n";
    for (const auto& [name, line] : headers)
      if (name != missing) head += line;
    CAPTURE(missing);
    CHECK(reply_after_connect(s, frame_bytes(head, prepare_transfer_body(1))) ==
          connected_frame() + error_frame(fmt::format("SEND command without a {} header.", missing)));
  }
  CHECK(s.sink.count() == 0);
}

TEST_CASE("a SEND to another destination is refused with the message as context", "[session][protocol]") {
  aa_server s;
  const auto body = prepare_transfer_body(1);
  CHECK(reply_after_connect(s, send_frame("1", body, "/exchange/x")) ==
        connected_frame() + rejection_frame("Invalid SEND destination \"/exchange/x\".", "1", body));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("an invalid message body is refused with the message as context", "[session][protocol]") {
  aa_server s;
  CHECK(reply_after_connect(s, send_frame("1", "{}")) ==
        connected_frame() + rejection_frame("Invalid PrepareTransfer message.", "1", "{}"));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("a SEND before CONNECT is refused", "[session][protocol]") {
  aa_server s;
  CHECK(s.reply_to(send_frame("1")) == error_frame("Received another command before CONNECT."));
  CHECK(s.sink.count() == 0);
}

TEST_CASE("a DISCONNECT before CONNECT is refused", "[session][protocol]") {
  aa_server s;
  CHECK(s.reply_to(frame_bytes("DISCONNECT\nreceipt:x\n")) == error_frame("Received DISCONNECT before CONNECT."));
}

TEST_CASE("commands outside the subset are unexpected", "[session][protocol]") {
  aa_server s;
  for (std::string_view command :
       {"SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "MESSAGE", "RECEIPT", "ERROR"}) {
    CAPTURE(command);
    CHECK(reply_after_connect(s, frame_bytes(fmt::format("{}\nid:0\n", command))) ==
          connected_frame() + error_frame(fmt::format("Received unexpected command \"{}\".", command)));
  }
}

TEST_CASE("a second CONNECT is refused", "[session][protocol]") {
  aa_server s;
  CHECK(reply_after_connect(s, connect_frame()) ==
        connected_frame() + error_frame("Received CONNECT command more than once."));
}

TEST_CASE("STOMP connects like CONNECT", "[session][protocol]") {
  aa_server s;
  CHECK(s.reply_to(frame_bytes("STOMP\naccept-version:1.2\nhost:/\n") + frame_bytes("DISCONNECT\nreceipt:x\n")) ==
        connected_frame() + receipt_frame("x"));
}

TEST_CASE("a client that does not accept STOMP 1.2 is refused", "[session][protocol]") {
  aa_server s;
  const auto refused = error_frame("STOMP 1.2 is not supported by the client.");
  CHECK(s.reply_to(frame_bytes("CONNECT\naccept-version:1.0,1.1\n")) == refused);
  CHECK(s.reply_to(frame_bytes("CONNECT\naccept-version:1.20\n")) == refused);
  CHECK(s.reply_to(frame_bytes("CONNECT\n")) == refused);
}

TEST_CASE("an invalid heart-beat header is refused", "[session][protocol]") {
  aa_server s;
  for (std::string_view value : {"x,1", "1", "1,2,3", "-1,0", ""}) {
    CAPTURE(value);
    CHECK(s.reply_to(frame_bytes(fmt::format("CONNECT\naccept-version:1.2\nheart-beat:{}\n", value))) ==
          error_frame("Received invalid heart-beat value."));
  }
}

TEST_CASE("a command after a DISCONNECT that awaits its receipt is refused", "[session][protocol]") {
  aa_server s{{.manual_sink = true}};
  CHECK(reply_after_connect(s, send_frames(1, 1) + frame_bytes("DISCONNECT\nreceipt:x\n") + send_frames(2, 2)) ==
        connected_frame() + error_frame("Received command after DISCONNECT."));
  CHECK(s.sink.count() == 1);
}

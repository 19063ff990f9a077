// The serializer vectors of docs/stomp.md §2 and its appending contract.

#include "feed.hpp"

#include "core/stomp/serializer.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using swpt::stomp::frame;
using swpt::stomp::header_view;
using swpt::stomp::serialize;
using swpt::stomp::serialize_frame;

TEST_CASE("escaped headers, empty body", "[stomp][serializer][vectors]") {
  const frame f{"SEND", {{"aa", "bb"}, {"aa:aa\\", "bb\nbb\r"}}, ""};
  const std::string expected = "SEND\naa:bb\n"s + R"(aa\caa\\:bb\nbb\r)" + "\n\n\0"s;
  CHECK(serialize(f) == expected);
  CHECK(stomp_test::feed_every_way(expected) == stomp_test::outcome{{f}, {}, {}});
}

TEST_CASE("a body gets a content-length", "[stomp][serializer][vectors]") {
  CHECK(serialize(frame{"SEND", {}, "123"}) == "SEND\ncontent-length:3\n\n123\0"s);
}

TEST_CASE("an explicit content-length is kept and not repeated", "[stomp][serializer]") {
  CHECK(serialize(frame{"SEND", {{"content-length", "1"}, {"a", "b"}}, "1\0003"s}) ==
        "SEND\ncontent-length:1\na:b\n\n1\0003\0"s);
  // Compared by exact key: "Content-Length" is another header.
  CHECK(serialize(frame{"SEND", {{"Content-Length", "3"}}, "abc"}) ==
        "SEND\nContent-Length:3\ncontent-length:3\n\nabc\0"s);
}

TEST_CASE("an empty body gets no content-length", "[stomp][serializer]") {
  CHECK(serialize(frame{"DISCONNECT", {{"receipt", "7"}}, ""}) == "DISCONNECT\nreceipt:7\n\n\0"s);
}

TEST_CASE("every frame type is escaped, CONNECTED included", "[stomp][serializer]") {
  CHECK(serialize(frame{"CONNECTED", {{"server", "swpt:1.0"}}, ""}) ==
        "CONNECTED\nserver:swpt\\c1.0\n\n\0"s);
}

TEST_CASE("serialize_frame appends, from views or in place", "[stomp][serializer]") {
  std::string out = "prefix";
  const header_view headers[] = {{"receipt-id", "12"}, {"k", "a\\b"}};
  serialize_frame(out, "RECEIPT", headers, {});
  serialize_frame(out, "ERROR", {{"message", "Invalid frame."}}, "x\ny");
  serialize_frame(out, frame{"SEND", {}, ""});
  CHECK(out == "prefix"
               "RECEIPT\nreceipt-id:12\nk:a\\\\b\n\n\0"
               "ERROR\nmessage:Invalid frame.\ncontent-length:3\n\nx\ny\0"
               "SEND\n\n\0"s);
}

#include "core/stomp/heartbeat.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using swpt::stomp::heartbeat_intervals;
using swpt::stomp::heartbeat_spec;
using swpt::stomp::negotiate;
using swpt::stomp::parse_heartbeat;

TEST_CASE("heart-beat headers are two runs of digits", "[heartbeat]") {
  CHECK(parse_heartbeat("0,0") == heartbeat_spec{0ms, 0ms});
  CHECK(parse_heartbeat("5000,30000") == heartbeat_spec{5000ms, 30000ms});
  for (const char* bad : {"", "1", "1,", ",1", "1,2,3", " 1,2", "+1,2", "-1,2", "1_0,2", "a,b", "1, 2"}) {
    INFO(bad);
    CHECK_FALSE(parse_heartbeat(bad));
  }
  CHECK(swpt::stomp::format_heartbeat({5000ms, 30000ms}) == "5000,30000");
}

TEST_CASE("heart-beats are negotiated by the STOMP 1.2 rule", "[heartbeat]") {
  CHECK(negotiate({1000ms, 90ms}, {500ms, 8000ms}) == heartbeat_intervals{8000ms, 500ms});
  CHECK(negotiate({0ms, 0ms}, {500ms, 8000ms}) == heartbeat_intervals{0ms, 0ms});
  CHECK(negotiate({1000ms, 90ms}, {0ms, 0ms}) == heartbeat_intervals{0ms, 0ms});
  CHECK(negotiate({5000ms, 30000ms}, {5000ms, 30000ms}) == heartbeat_intervals{30000ms, 30000ms});
}

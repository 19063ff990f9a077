#pragma once
// A test driver that feeds bytes to a parser as a socket reader would: keep a
// buffer, append each chunk, parse until need_more, drop what was consumed.

#include "core/stomp/frame.hpp"
#include "core/stomp/parser.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace stomp_test {

// Everything a caller learns from one input, independent of how it arrived.
struct outcome {
  std::vector<swpt::stomp::frame> frames;
  std::error_code error;  // empty when no error (yet)
  // Unconsumed bytes, minus leading heart-beat EOLs (when those are dropped
  // depends on the chunking). Empty after an error.
  std::string pending;

  friend bool operator==(const outcome&, const outcome&) = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o);

class feeder {
 public:
  explicit feeder(swpt::stomp::parser_limits limits = {}) : parser_{limits} {}

  // Appends `chunk` and parses all complete frames. After an error it checks
  // that the parser stays dead.
  void push(std::string_view chunk);

  outcome result() const;

 private:
  swpt::stomp::parser parser_;
  std::string buffer_;
  outcome outcome_;
};

// `input` cut before each position in `cuts` (ascending).
outcome feed_split(std::string_view input, const std::vector<std::size_t>& cuts,
                   swpt::stomp::parser_limits limits = {});
outcome feed_whole(std::string_view input, swpt::stomp::parser_limits limits = {});
outcome feed_bytewise(std::string_view input, swpt::stomp::parser_limits limits = {});

// Feeds `input` in one chunk, byte by byte and split in two at every possible
// point; CHECKs that all outcomes are equal and returns the one-chunk outcome.
outcome feed_every_way(std::string_view input, swpt::stomp::parser_limits limits = {});

// Printable form of bytes: \n, \r, \0 and non-printables escaped.
std::string printable(std::string_view bytes);

std::string describe(const swpt::stomp::frame& f);

}  // namespace stomp_test

template <>
struct Catch::StringMaker<swpt::stomp::frame> {
  static std::string convert(const swpt::stomp::frame& f) { return stomp_test::describe(f); }
};

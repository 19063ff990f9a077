// Property: generated frames, serialized into one stream with heart-beats in
// between and fed in random chunks, parse back to exactly themselves. Fixed
// seeds (std::mt19937) so that a failure reproduces.

#include "feed.hpp"

#include "core/stomp/serializer.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using swpt::stomp::frame;

namespace {

// Pieces of header text, weighted towards those that need escaping or UTF-8.
// None can make a key exactly "content-length": that one is added on purpose.
const std::string_view text_pieces[] = {
    "a", "Z", "0", "-", " ", "\t", "/", ":", "\\", "\r", "\n", "\\c", "\\n",
    "\xd0\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xa0", "content-",
};

class generator {
 public:
  explicit generator(unsigned seed) : rng_{seed} {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>{0, n - 1}(rng_); }

  std::string command() {
    std::string c(1 + below(50), 'A');
    for (char& ch : c) ch = static_cast<char>('A' + below(26));
    return c;
  }

  // At most ~120 bytes once escaped: well inside the 500-byte limits, and ten
  // such headers stay inside the 4096-byte header block.
  std::string text(std::size_t min_pieces) {
    std::string t;
    const std::size_t pieces = min_pieces + below(12);
    for (std::size_t i = 0; i < pieces; ++i) t += text_pieces[below(std::size(text_pieces))];
    return t;
  }

  std::string body() {
    std::string b(below(4) == 0 ? 0 : below(600), '\0');
    for (char& ch : b) ch = static_cast<char>(below(4) == 0 ? 0 : below(256));
    return b;
  }

  frame make_frame() {
    frame f{command(), {}, body()};
    const std::size_t headers = below(11);
    for (std::size_t i = 0; i < headers; ++i) f.headers.emplace_back(text(1), text(0));
    if (below(3) == 0) {  // sometimes an explicit, exact content-length
      const auto at = f.headers.begin() + static_cast<std::ptrdiff_t>(below(f.headers.size() + 1));
      f.headers.insert(at, {"content-length", std::to_string(f.body.size())});
    }
    return f;
  }

  std::string heartbeats() {
    std::string h;
    for (std::size_t n = below(3); n > 0; --n) h += below(2) ? "\n" : "\r\n";
    return h;
  }

  std::vector<std::size_t> cuts(std::size_t size) {
    std::vector<std::size_t> c;
    for (std::size_t at = 0;;) {
      at += 1 + below(below(2) ? 8 : 700);
      if (at >= size) return c;
      c.push_back(at);
    }
  }

 private:
  std::mt19937 rng_;
};

// What the parser must return for `f` once serialized: the serializer adds a
// content-length after the given headers when the body needs one.
frame as_parsed(frame f) {
  if (!f.body.empty() && !f.header("content-length"))
    f.headers.emplace_back("content-length", std::to_string(f.body.size()));
  return f;
}

}  // namespace

TEST_CASE("serialize then parse gives the same frames, any chunking", "[stomp][roundtrip]") {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    generator gen{seed};
    std::string stream = gen.heartbeats();
    stomp_test::outcome expected;
    for (std::size_t n = 1 + gen.below(8); n > 0; --n) {
      const frame f = gen.make_frame();
      stream += swpt::stomp::serialize(f) + gen.heartbeats();
      expected.frames.push_back(as_parsed(f));
    }
    INFO("seed " << seed);
    REQUIRE(stomp_test::feed_whole(stream) == expected);
    for (int round = 0; round < 5; ++round) {
      const auto cuts = gen.cuts(stream.size());
      INFO("round " << round << ", " << cuts.size() << " cuts");
      REQUIRE(stomp_test::feed_split(stream, cuts) == expected);
    }
  }
}

TEST_CASE("one generated frame, split at every point and byte by byte", "[stomp][roundtrip]") {
  for (unsigned seed = 1000; seed < 1020; ++seed) {
    generator gen{seed};
    const frame f = gen.make_frame();
    INFO("seed " << seed);
    CHECK(stomp_test::feed_every_way("\r\n" + swpt::stomp::serialize(f) + "\r\n") ==
          stomp_test::outcome{{as_parsed(f)}, {}, {}});
  }
}

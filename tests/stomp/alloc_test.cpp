// Steady-state parsing does not allocate: this executable's operator new
// counts, and a warmed-up parser must not call it. Under AddressSanitizer,
// which intercepts operator new itself, the count is compiled out and the
// check is skipped.

#include "core/stomp/parser.hpp"
#include "core/stomp/serializer.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define SWPT_COUNT_ALLOCATIONS 0
#else
#define SWPT_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<std::size_t> allocations{0};
}

#if SWPT_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

TEST_CASE("a warmed-up parser parses without allocating", "[stomp][parser][alloc]") {
  using namespace swpt::stomp;
  if (!SWPT_COUNT_ALLOCATIONS) {
    WARN("allocation counting is off under AddressSanitizer");
    return;
  }
  std::string stream;
  for (int i = 0; i < 100; ++i)
    serialize_frame(stream, frame{"SEND",
                                  {{"destination", "/exchange/smp"},
                                   {"type", "ConfigureAccount"},
                                   {"escaped:key", "multi\nline"},
                                   {"receipt", std::to_string(i)}},
                                  std::string(400, 'j')});
  parser p;
  std::size_t frames = 0;
  // No Catch assertions inside: they may allocate themselves.
  const auto parse_all = [&] {
    for (std::string_view rest = stream; !rest.empty();) {
      const auto r = p.parse(rest);
      if (r.status != parse_status::frame) return;
      rest.remove_prefix(r.consumed);
      ++frames;
    }
  };
  parse_all();  // warm-up: vectors and scratch reach their working capacity
  const std::size_t before = allocations.load();
  parse_all();
  CHECK(allocations.load() - before == 0);
  CHECK(frames == 200);
}

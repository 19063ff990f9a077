// A server raises its soft limit on open files to the hard limit.

#include "session/open_files.hpp"

#include <catch2/catch.hpp>
#include <sys/resource.h>

using namespace swpt;

TEST_CASE("the soft open-files limit is raised to the hard limit", "[session][open_files]") {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max <= 256) {
    WARN("the hard limit is too low to lower the soft one");
    return;
  }
  const rlim_t lowered = 256;
  limit.rlim_cur = lowered;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &limit) == 0);

  const auto result = session::raise_open_files_limit();

  CHECK(result.error.empty());
  CHECK(result.before == lowered);
  CHECK(result.soft == result.hard);
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  CHECK(limit.rlim_cur == limit.rlim_max);
  CHECK(session::open_files_message(result).find("raised from 256 to ") != std::string::npos);

  // A second call finds nothing to raise.
  const auto again = session::raise_open_files_limit();
  CHECK(again.before == again.soft);
  CHECK(session::open_files_message(again).find("(the hard limit)") != std::string::npos);
}

// Issue 9, configuration errors: `swpt-stomp run` with a file that is not
// YAML, names an unknown key or holds a bad value stops at once with exit
// status 1 and a message naming the key (and the file's line).
#include "daemon_world.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>

using namespace swpt::e2e;

namespace {

run_result run_with(scenario& s, const std::string& name, const std::string& yaml) {
  const auto file = s.dir() / (name + ".yaml");
  std::ofstream{file} << yaml;
  return run(config().swpt_stomp, {"run", "--config", file.string()}, {}, s.dir() / "logs" / (name + ".log"), 30s);
}

}  // namespace

TEST_CASE("swpt-stomp run refuses a bad configuration file, naming the key", "[daemon-ops][config]") {
  scenario s{"config-errors"};
  const std::string good = daemon_yaml(s.aa(), s.broker_url(s.aa()), {});
  struct bad_file {
    std::string name;
    std::string yaml;
    std::vector<std::string> named;  // what the message must contain
  };
  const std::vector<bad_file> cases{
      {"not-yaml", good + "server: [unclosed\n", {"not-yaml.yaml"}},
      {"unknown-key", good + "drainers:\n  stop_when_emtpy: true\n", {"drainers.stop_when_emtpy"}},
      {"bad-value", good + "drainers:\n  stop_when_empty: perhaps\n", {"drainers.stop_when_empty"}},
      {"unknown-top-level-key", good + "listen_here: 1\n", {"listen_here"}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const run_result r = run_with(s, c.name, c.yaml);
      INFO(r.output);
      CHECK(r.status.exited_with(1));
      for (const auto& text : c.named) CHECK_THAT(r.output, Catch::Contains(text));
    }
  }
}

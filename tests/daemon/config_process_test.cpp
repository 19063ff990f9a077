// `swpt-stomp check-config` and `swpt-stomp run` as processes: a bad
// configuration ends both with exit status 1 and a message naming the key;
// a good one is printed by check-config.

#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

namespace swpt::daemon {
namespace {

std::filesystem::path program() {
  const char* path = std::getenv("SWPT_STOMP");
  REQUIRE(path != nullptr);
  return path;
}

struct case_files {
  fixtures::temp_dir dir{"swpt-check-config"};
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto path = dir.path() / name;
    std::ofstream{path} << text;
    return path;
  }
};

TEST_CASE("check-config and run stop at a bad configuration, naming the key", "[config][process]") {
  const case_files files;
  struct bad_case {
    std::string name, text, message;
  };
  const std::vector<bad_case> cases{
      {"invalid.yaml", "server:\n  buffer: 3\n  listen: [1\nlogging: {}\n", ":4: not valid YAML: "},
      {"unknown.yaml", "server:\n  bufer: 3\n", ":2: server.bufer: unknown key"},
      {"bad.yaml", "server:\n  buffer: 0\n", ":2: server.buffer: must be at least 1"},
  };
  for (const auto& c : cases) {
    const auto path = files.write(c.name, c.text);
    for (const std::string command : {"check-config", "run"}) {
      INFO(command << " " << c.name);
      const auto r = e2e::run(program(), {command, "--config", path.string()}, {}, files.dir.path() / "log");
      CHECK(r.status.exited_with(1));
      CHECK_THAT(r.output, Catch::Contains("swpt-stomp: " + path.string() + c.message));
    }
  }
  SECTION("a bad variable or option: the same") {
    for (const std::string command : {"check-config", "run"}) {
      INFO(command);
      auto r = e2e::run(program(), {command}, {{"APP_FILE_READ_THREADS", "0"}}, files.dir.path() / "log");
      CHECK(r.status.exited_with(1));
      CHECK_THAT(r.output, Catch::Contains("swpt-stomp: APP_FILE_READ_THREADS: invalid value \"0\""));
      r = e2e::run(program(), {command, "--set", "clients.buffer=0"}, {}, files.dir.path() / "log");
      CHECK(r.status.exited_with(1));
      CHECK_THAT(r.output, Catch::Contains("swpt-stomp: clients.buffer (command line): must be at least 1"));
    }
  }
  SECTION("a malformed option is a usage error") {
    const auto r = e2e::run(program(), {"check-config", "--set", "clients.buffer"}, {}, files.dir.path() / "log");
    CHECK(r.status.exited_with(2));
  }
}

TEST_CASE("check-config prints the effective configuration", "[config][process]") {
  const case_files files;
  const auto path = files.write("good.yaml", "server:\n  buffer: 7\nbroker:\n  url: amqp://u:topsecret@rabbit/\n");
  const auto r = e2e::run(program(), {"check-config", "-l", "debug", "--set", "clients.queue_name=aa.{peer}"},
                          {{"SWPT_CONFIG", path.string()}, {"SWPT_CLIENT_BUFFER", "9"}}, files.dir.path() / "log");
  CHECK(r.status.exited_with(0));
  CHECK_THAT(r.output, Catch::Contains("  buffer: 7  # file\n"));
  CHECK_THAT(r.output, Catch::Contains("  buffer: 9  # env SWPT_CLIENT_BUFFER\n"));
  CHECK_THAT(r.output, Catch::Contains("  url: amqp://u:***@rabbit/  # file\n"));
  CHECK_THAT(r.output, Catch::Contains("  level: debug  # option\n"));
  CHECK_THAT(r.output, Catch::Contains("  queue_name: aa.{peer}  # option\n"));
  CHECK_THAT(r.output, !Catch::Contains("topsecret"));
}

}  // namespace
}  // namespace swpt::daemon

// The command line of `swpt-stomp run` and `swpt-stomp check-config`: which
// keys the options set, in which order, and what is a usage error.

#include "app/options.hpp"

#include <catch2/catch.hpp>

#include <sstream>

namespace swpt::app {
namespace {

struct parsed {
  std::optional<daemon::config_inputs> inputs;
  int status = -1;
  std::string out, err;
};

parsed parse(const std::vector<std::string>& args, command c = command::run) {
  std::ostringstream out, err;
  auto r = parse_daemon_options(c, "swpt-stomp run", args, out, err);
  parsed p{std::nullopt, -1, out.str(), err.str()};
  if (auto* in = std::get_if<daemon::config_inputs>(&r))
    p.inputs = std::move(*in);
  else
    p.status = std::get<int>(r);
  return p;
}

TEST_CASE("run and check-config are dispatched, with no upstream name", "[daemon-options]") {
  for (const auto c : {command::run, command::check_config}) {
    std::ostringstream out, err;
    const auto d = dispatch({"swpt-stomp", std::string{subcommand_name(c)}, "--set", "a=b"}, out, err);
    REQUIRE(std::holds_alternative<invocation>(d));
    CHECK(std::get<invocation>(d).which == c);
    CHECK(is_daemon_command(c));
    CHECK(upstream_name(c).empty());
  }
  CHECK_FALSE(is_daemon_command(command::server));
  CHECK_FALSE(command_for_program(""));
  CHECK_FALSE(command_for_program("run"));
  std::ostringstream out, err;
  CHECK(std::get<int>(dispatch({"swpt-stomp", "--help"}, out, err)) == exit_ok);
  CHECK_THAT(out.str(), Catch::Contains("  run  "));
  CHECK_THAT(out.str(), Catch::Contains("  check-config  "));
}

TEST_CASE("options become settings in command-line order", "[daemon-options]") {
  const auto p = parse({"--set", "server.buffer=5", "-p", "4443", "--config", "/etc/x.yaml", "--log-level=debug",
                        "--set", "clients.queue_name=aa.{peer}", "-u", "amqp://h/", "-n", "file:///db", "-f", "json",
                        "--set", "http_listen="});
  REQUIRE(p.inputs);
  CHECK(p.inputs->file == std::filesystem::path{"/etc/x.yaml"});
  CHECK(p.inputs->getenv);
  using setting = std::pair<std::string, std::string>;
  CHECK(p.inputs->options == std::vector<setting>{{"server.buffer", "5"},
                                                  {"server.listen[0].port", "4443"},
                                                  {"logging.level", "debug"},
                                                  {"clients.queue_name", "aa.{peer}"},
                                                  {"broker.url", "amqp://h/"},
                                                  {"node_database", "file:///db"},
                                                  {"logging.format", "json"},
                                                  {"http_listen", ""}});
  CHECK_FALSE(parse({}).inputs->file);
}

TEST_CASE("usage errors and help", "[daemon-options]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--set", "server.buffer"}, {"--set", "=1"}, {"--set"}, {"extra"}, {"--set", "a=1", "b=2"}, {"--bogus"}}) {
    const auto p = parse(args);
    CHECK(p.status == exit_usage);
    CHECK_THAT(p.err, Catch::Contains("swpt-stomp run --help"));
  }
  const auto help = parse({"--help"}, command::check_config);
  CHECK(help.status == exit_ok);
  for (const auto* text : {"--config", "SWPT_CONFIG", "--set", "--server-port", "server.listen[0].port"})
    CHECK_THAT(help.out, Catch::Contains(text));
}

}  // namespace
}  // namespace swpt::app

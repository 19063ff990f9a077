#include "app/options.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace swpt::app {
namespace {

// The variables the options fall back to. Each test starts with all of them
// unset and gets the process's values back afterwards.
const std::vector<std::string> option_variables{
    "SWPT_SERVER_PORT",    "SWPT_SERVER_CERT",    "SWPT_SERVER_KEY", "SWPT_SERVER_BUFFER", "SWPT_CLIENT_BUFFER",
    "SWPT_NODEDATA_URL", "PROTOCOL_BROKER_URL", "APP_LOG_LEVEL",   "APP_LOG_FORMAT",
};

class scoped_environment {
 public:
  scoped_environment() {
    for (const auto& name : option_variables) {
      if (const char* value = std::getenv(name.c_str())) saved_[name] = value;
      ::unsetenv(name.c_str());
    }
  }
  ~scoped_environment() {
    for (const auto& name : option_variables) {
      if (const auto it = saved_.find(name); it != saved_.end())
        ::setenv(name.c_str(), it->second.c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  void set(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }

 private:
  std::map<std::string, std::string> saved_;
};

// What a parser returned (a value, or the status to exit with) and what it
// printed.
template <class T>
struct captured {
  std::optional<T> value;
  int status = -1;
  std::string out, err;
};

template <class T, class Parser>
captured<T> capture(Parser parser) {
  std::ostringstream out, err;
  const auto r = parser(out, err);
  captured<T> c{std::nullopt, -1, out.str(), err.str()};
  if (const auto* value = std::get_if<T>(&r))
    c.value = *value;
  else
    c.status = std::get<int>(r);
  return c;
}

captured<options> parse(command c, const std::vector<std::string>& args) {
  return capture<options>([&](std::ostream& out, std::ostream& err) { return parse_options(c, "prog", args, out, err); });
}

options parse_ok(command c, std::vector<std::string> args) {
  const auto o = parse(c, args);
  INFO(o.err);
  REQUIRE(o.value);
  CHECK(o.out.empty());
  CHECK(o.err.empty());
  return *o.value;
}

void check_usage_error(command c, std::vector<std::string> args, const std::string& mentions) {
  const auto o = parse(c, args);
  CHECK_FALSE(o.value);
  CHECK(o.status == exit_usage);
  CHECK(o.out.empty());
  CHECK_THAT(o.err, Catch::Contains(mentions));
  CHECK_THAT(o.err, Catch::Contains("prog --help"));
}

TEST_CASE("every command has the documented defaults", "[options]") {
  scoped_environment env;
  for (const auto c : {command::server, command::client, command::drainer, command::configure_queue}) {
    const auto o = c == command::server ? parse_ok(c, {}) : parse_ok(c, {"1234abcd", "aa.1234abcd"});
    CHECK(o.server_port == 1234);
    CHECK(o.server_cert == "/etc/swpt/server.crt");
    CHECK(o.server_key == "/secrets/swpt-server.key");
    CHECK(o.nodedata_url == "file:///var/lib/swpt-nodedata");
    CHECK(o.broker_url == "amqp://guest:guest@localhost:5672");
    CHECK(o.server_buffer == 100);
    CHECK(o.client_buffer == 100);
    CHECK(o.log_level == log::level::info);
    CHECK(o.log_format == log::format::text);
  }
}

TEST_CASE("the arguments of client, drainer and configure-queue", "[options]") {
  scoped_environment env;
  for (const auto c : {command::client, command::drainer, command::configure_queue}) {
    const auto o = parse_ok(c, {"1234abcd", "aa.1234abcd"});
    CHECK(o.peer_node_id == "1234abcd");
    CHECK(o.queue_name == "aa.1234abcd");
    check_usage_error(c, {}, "PEER_NODE_ID");
    check_usage_error(c, {"1234abcd"}, "QUEUE_NAME");
    check_usage_error(c, {"1234abcd", "q", "extra"}, "extra");
  }
  check_usage_error(command::server, {"surplus"}, "surplus");
}

TEST_CASE("options may come before, between or after the arguments", "[options]") {
  scoped_environment env;
  const std::vector<std::vector<std::string>> orders{
      {"-b", "7", "-l", "debug", "peer", "queue"},
      {"peer", "-b", "7", "queue", "-l", "debug"},
      {"peer", "queue", "--client-buffer", "7", "--log-level=debug"},
      {"peer", "queue", "-b7", "-ldebug"},
  };
  for (const auto& args : orders) {
    const auto o = parse_ok(command::client, args);
    CHECK(o.peer_node_id == "peer");
    CHECK(o.queue_name == "queue");
    CHECK(o.client_buffer == 7);
    CHECK(o.log_level == log::level::debug);
  }
  // After "--" everything is an argument, even what looks like an option.
  const auto o = parse_ok(command::configure_queue, {"--", "-peer", "queue"});
  CHECK(o.peer_node_id == "-peer");
}

TEST_CASE("each option of each command", "[options]") {
  scoped_environment env;
  const auto common = std::vector<std::string>{"-n", "file:///db", "-u", "amqp://u:p@h:1/v", "-l", "warning", "-f", "json"};
  auto with_common = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };
  auto check_common = [](const options& o) {
    CHECK(o.nodedata_url == "file:///db");
    CHECK(o.broker_url == "amqp://u:p@h:1/v");
    CHECK(o.log_level == log::level::warning);
    CHECK(o.log_format == log::format::json);
  };

  const auto server = parse_ok(command::server, with_common({"-p", "4321", "-c", "c.pem", "-k", "k.pem", "-b", "9"}));
  CHECK(server.server_port == 4321);
  CHECK(server.server_cert == "c.pem");
  CHECK(server.server_key == "k.pem");
  CHECK(server.server_buffer == 9);
  check_common(server);

  const auto client = parse_ok(command::client, with_common({"p", "q", "-c", "c.pem", "-k", "k.pem", "-b", "9"}));
  CHECK(client.server_cert == "c.pem");
  CHECK(client.server_key == "k.pem");
  CHECK(client.client_buffer == 9);
  CHECK(client.server_buffer == 100);
  check_common(client);

  // The drainer: -b is the client buffer, -B the server buffer.
  const auto drainer = parse_ok(command::drainer, with_common({"p", "q", "-b", "9", "-B", "11"}));
  CHECK(drainer.client_buffer == 9);
  CHECK(drainer.server_buffer == 11);
  check_common(drainer);

  check_common(parse_ok(command::configure_queue, with_common({"p", "q"})));
}

TEST_CASE("options a command does not have are usage errors", "[options]") {
  scoped_environment env;
  check_usage_error(command::client, {"p", "q", "-p", "1"}, "-p");
  check_usage_error(command::drainer, {"p", "q", "-c", "x"}, "-c");
  check_usage_error(command::configure_queue, {"p", "q", "-b", "1"}, "-b");
  check_usage_error(command::server, {"-B", "1"}, "-B");
  check_usage_error(command::server, {"--no-such-option"}, "--no-such-option");
}

TEST_CASE("environment variables stand in for options", "[options]") {
  scoped_environment env;
  env.set("SWPT_SERVER_PORT", "2345");
  env.set("SWPT_SERVER_CERT", "/env/c.pem");
  env.set("SWPT_SERVER_KEY", "/env/k.pem");
  env.set("SWPT_SERVER_BUFFER", "33");
  env.set("SWPT_CLIENT_BUFFER", "44");
  env.set("SWPT_NODEDATA_URL", "file:///env/db");
  env.set("PROTOCOL_BROKER_URL", "amqp://env");
  env.set("APP_LOG_LEVEL", "ERROR");  // case does not matter
  env.set("APP_LOG_FORMAT", "json");

  const auto server = parse_ok(command::server, {});
  CHECK(server.server_port == 2345);
  CHECK(server.server_cert == "/env/c.pem");
  CHECK(server.server_key == "/env/k.pem");
  CHECK(server.server_buffer == 33);
  CHECK(server.nodedata_url == "file:///env/db");
  CHECK(server.broker_url == "amqp://env");
  CHECK(server.log_level == log::level::error);
  CHECK(server.log_format == log::format::json);

  const auto drainer = parse_ok(command::drainer, {"p", "q"});
  CHECK(drainer.client_buffer == 44);
  CHECK(drainer.server_buffer == 33);

  SECTION("and options beat them") {
    const auto o = parse_ok(command::server, {"-p", "3456", "-b", "5", "-l", "debug", "--log-format", "text",
                                              "-n", "file:///opt/db"});
    CHECK(o.server_port == 3456);
    CHECK(o.server_buffer == 5);
    CHECK(o.log_level == log::level::debug);
    CHECK(o.log_format == log::format::text);
    CHECK(o.nodedata_url == "file:///opt/db");
    CHECK(o.server_cert == "/env/c.pem");  // not given: still from the environment
  }
  SECTION("an empty variable counts as unset") {
    env.set("SWPT_SERVER_PORT", "");
    CHECK(parse_ok(command::server, {}).server_port == 1234);
  }
}

TEST_CASE("bad option values are usage errors", "[options]") {
  scoped_environment env;
  check_usage_error(command::server, {"-p", "abc"}, "--server-port");
  check_usage_error(command::server, {"-p", "65536"}, "--server-port");
  check_usage_error(command::server, {"-p", "-1"}, "--server-port");
  check_usage_error(command::server, {"-b", "many"}, "--server-buffer");
  check_usage_error(command::client, {"p", "q", "-b", "1.5"}, "--client-buffer");
  check_usage_error(command::configure_queue, {"p", "q", "-l", "verbose"}, "--log-level");
  check_usage_error(command::configure_queue, {"p", "q", "-f", "xml"}, "--log-format");
  check_usage_error(command::server, {"-p"}, "-p");  // the value is missing
}

TEST_CASE("bad values from the environment are usage errors too", "[options]") {
  scoped_environment env;
  env.set("SWPT_SERVER_PORT", "http");
  check_usage_error(command::server, {}, "--server-port: Value http");
  check_usage_error(command::server, {}, "(the value comes from SWPT_SERVER_PORT)");
  // ... unless the option is given: the environment is not looked at then.
  CHECK(parse_ok(command::server, {"-p", "1"}).server_port == 1);
  env.set("APP_LOG_LEVEL", "loud");
  check_usage_error(command::configure_queue, {"p", "q"}, "--log-level");
}

TEST_CASE("a bad option value is not blamed on the environment", "[options]") {
  scoped_environment env;
  env.set("SWPT_SERVER_PORT", "1");
  for (const auto& args : std::vector<std::vector<std::string>>{{"-p", "x"}, {"-px"}, {"--server-port=x"}}) {
    const auto o = parse(command::server, args);
    CHECK(o.status == exit_usage);
    CHECK_THAT(o.err, !Catch::Contains("SWPT_SERVER_PORT"));
  }
}

TEST_CASE("an option given twice takes the last value", "[options]") {
  scoped_environment env;
  const auto o = parse_ok(command::client, {"-b", "5", "p", "-l", "error", "q", "-b", "6", "--log-level", "debug"});
  CHECK(o.client_buffer == 6);
  CHECK(o.log_level == log::level::debug);
}

TEST_CASE("buffers below 1 count as 1", "[options]") {
  scoped_environment env;
  const auto o = parse_ok(command::drainer, {"p", "q", "-b", "0", "-B", "-5"});
  CHECK(o.client_buffer == 1);
  CHECK(o.server_buffer == 1);
}

TEST_CASE("--help prints the usage and succeeds", "[options]") {
  scoped_environment env;
  for (const auto c : {command::server, command::client, command::drainer, command::configure_queue}) {
    for (const std::string flag : {"--help", "-h"}) {
      const auto o = parse(c, {flag});
      CHECK(o.status == exit_ok);
      CHECK(o.err.empty());
      CHECK_THAT(o.out, Catch::Contains("Usage: prog"));
      CHECK_THAT(o.out, Catch::Contains("SWPT_NODEDATA_URL"));
      CHECK_THAT(o.out, Catch::Contains("PROTOCOL_BROKER_URL"));
      CHECK_THAT(o.out, Catch::Contains("APP_LOG_LEVEL"));
    }
  }
  CHECK_THAT(parse(command::server, {"--help"}).out, Catch::Contains("SWPT_SERVER_PORT"));
  CHECK_THAT(parse(command::client, {"--help"}).out, Catch::Contains("PEER_NODE_ID"));

  SECTION("even next to bad values") {
    env.set("SWPT_SERVER_PORT", "http");
    CHECK(parse(command::server, {"--help"}).status == exit_ok);
    CHECK(parse(command::server, {"-p", "x", "--help"}).status == exit_ok);
    CHECK(parse(command::client, {"--help"}).status == exit_ok);  // arguments missing
  }
}

// ---- dispatch on the program name ----

captured<invocation> run_dispatch(const std::vector<std::string>& argv) {
  return capture<invocation>([&](std::ostream& out, std::ostream& err) { return dispatch(argv, out, err); });
}

TEST_CASE("the upstream program names select their command", "[dispatch]") {
  const std::vector<std::pair<std::string, command>> names{
      {"swpt-server", command::server},
      {"/usr/bin/swpt-client", command::client},
      {"./swpt-drainer", command::drainer},
      {"/opt/swpt/bin/configure-queue", command::configure_queue},
  };
  for (const auto& [argv0, c] : names) {
    const auto d = run_dispatch({argv0, "peer", "--log-level", "debug"});
    REQUIRE(d.value);
    CHECK(d.value->which == c);
    CHECK(d.value->program == upstream_name(c));
    CHECK(d.value->args == std::vector<std::string>{"peer", "--log-level", "debug"});
    CHECK(command_for_program(argv0) == c);
  }
  // The name alone: "client" is a subcommand, not a program name.
  CHECK_FALSE(command_for_program("client"));
  CHECK_FALSE(command_for_program("swpt-stomp"));
  CHECK_FALSE(command_for_program("swpt-server/"));
}

TEST_CASE("swpt-stomp takes the command as its first argument", "[dispatch]") {
  for (const auto c : {command::server, command::client, command::drainer, command::configure_queue}) {
    const auto d = run_dispatch({"/usr/bin/swpt-stomp", std::string{subcommand_name(c)}, "a", "-b", "1"});
    REQUIRE(d.value);
    CHECK(d.value->which == c);
    CHECK(d.value->program == "swpt-stomp " + std::string{subcommand_name(c)});
    CHECK(d.value->args == std::vector<std::string>{"a", "-b", "1"});
  }
  SECTION("--help lists the commands") {
    const auto d = run_dispatch({"swpt-stomp", "--help"});
    CHECK(d.status == exit_ok);
    for (const auto* name : {"server", "client", "drainer", "configure-queue"})
      CHECK_THAT(d.out, Catch::Contains(name));
  }
  SECTION("a missing or unknown command is a usage error") {
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"swpt-stomp"}, {"swpt-stomp", "serve"}, {"swpt-stomp", "/usr/bin/swpt-server"}, {"swpt-stomp", "-p", "1"}}) {
      const auto d = run_dispatch(argv);
      CHECK(d.status == exit_usage);
      CHECK(d.out.empty());
      CHECK_THAT(d.err, Catch::Contains("configure-queue"));
    }
  }
}

TEST_CASE("an upstream program name works as the command (a container's entry point is swpt-stomp)", "[dispatch]") {
  for (const auto c : {command::server, command::client, command::drainer, command::configure_queue}) {
    const auto d = run_dispatch({"swpt-stomp", std::string{upstream_name(c)}, "a", "-b", "1"});
    REQUIRE(d.value);
    CHECK(d.value->which == c);
    // configure-queue is also the subcommand's name: shown as a subcommand.
    if (upstream_name(c) != subcommand_name(c)) CHECK(d.value->program == upstream_name(c));
    CHECK(d.value->args == std::vector<std::string>{"a", "-b", "1"});
  }
}

TEST_CASE("a subcommand's --help goes through the command's parser", "[dispatch]") {
  scoped_environment env;
  const auto d = run_dispatch({"swpt-stomp", "drainer", "--help"});
  REQUIRE(d.value);
  const auto o = parse(d.value->which, d.value->args);
  CHECK(o.status == exit_ok);
  CHECK_THAT(o.out, Catch::Contains("--server-buffer"));
}

}  // namespace
}  // namespace swpt::app

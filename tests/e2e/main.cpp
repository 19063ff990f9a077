// The runner of the end-to-end suites: Catch2 with two more options,
//   --rabbitmq PATH     scripts/rabbitmq
//   --swpt-stomp PATH   the program under test (the e2e suite only)
// and the test broker from SWPT_TEST_BROKER_URL (scripts/test starts it and
// sets the variable; SWPT_TEST_BROKER_NODE names its scripts/rabbitmq node
// when it is not swpt-test). Without the broker the run fails at once.
// By hand, with the broker of `scripts/rabbitmq start` running:
//   export SWPT_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5682
//   build/tests/e2e/test_e2e --rabbitmq scripts/rabbitmq --swpt-stomp build/src/app/swpt-stomp '[flow]'
// SWPT_KEEP_TEST_DIRS=1 keeps the node databases and the processes' logs.
#define CATCH_CONFIG_RUNNER
#include "environment.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace {

extern "C" void on_termination(int sig) {
  swpt::e2e::kill_all_children();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string rabbitmq;
  std::string swpt_stomp;
  using Catch::clara::Opt;
  session.cli(session.cli() | Opt(rabbitmq, "path")["--rabbitmq"]("scripts/rabbitmq") |
              Opt(swpt_stomp, "path")["--swpt-stomp"]("the swpt-stomp executable"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const auto& data = session.configData();
  if (data.showHelp || data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters)
    return session.run();

  auto& cfg = swpt::e2e::config();
  const char* url = std::getenv("SWPT_TEST_BROKER_URL");
  if (url == nullptr || *url == '\0') {
    std::cerr << "SWPT_TEST_BROKER_URL is not set: these tests need the RabbitMQ broker that scripts/test starts.\n"
                 "Run them with scripts/test, or start one with `scripts/rabbitmq start` and export\n"
                 "SWPT_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5682\n";
    return 1;
  }
  cfg.broker_url = url;
  if (const char* node = std::getenv("SWPT_TEST_BROKER_NODE"); node != nullptr && *node != '\0')
    cfg.broker_node = node;
  if (rabbitmq.empty()) {
    std::cerr << "--rabbitmq PATH (scripts/rabbitmq) is required\n";
    return 1;
  }
  cfg.rabbitmq_script = rabbitmq;
  cfg.swpt_stomp = swpt_stomp;

  const swpt::fixtures::temp_dir logs{"swpt-e2e-scripts"};
  cfg.log_dir = logs.path();

  std::signal(SIGTERM, on_termination);
  std::signal(SIGINT, on_termination);
  return session.run();
}

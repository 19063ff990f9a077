// The runner of the lifecycle suite: Catch2 with --rabbitmq (scripts/rabbitmq,
// which makes the fresh vhosts) and the test broker of SWPT_TEST_BROKER_URL.
#define CATCH_CONFIG_RUNNER
#include "environment.hpp"
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string rabbitmq;
  session.cli(session.cli() | Catch::clara::Opt(rabbitmq, "path")["--rabbitmq"]("scripts/rabbitmq"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;

  auto& cfg = swpt::e2e::config();
  const char* url = std::getenv("SWPT_TEST_BROKER_URL");
  if (url == nullptr || *url == '\0' || rabbitmq.empty()) {
    std::cerr << "needs SWPT_TEST_BROKER_URL (the broker of scripts/test) and --rabbitmq scripts/rabbitmq\n";
    return 1;
  }
  cfg.broker_url = url;
  if (const char* node = std::getenv("SWPT_TEST_BROKER_NODE"); node != nullptr && *node != '\0')
    cfg.broker_node = node;
  cfg.rabbitmq_script = rabbitmq;
  const swpt::fixtures::temp_dir logs{"swpt-lifecycle-scripts"};
  cfg.log_dir = logs.path();
  return session.run();
}

// Issue 9, systemd: the daemon started the way packaging/systemd's unit
// starts it (Type=notify, its ExecStart= with the built binary and the
// test's configuration file), reloaded by its ExecReload= and stopped by
// its KillSignal=, tells a notification socket the test owns READY=1, then
// RELOADING=1 (with MONOTONIC_USEC) and READY=1, then STOPPING=1, in that
// order. With WATCHDOG_USEC, WATCHDOG=1 keeps coming from the event loop.
#include "daemon_world.hpp"
#include "systemd_unit.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>

using namespace swpt::e2e;

namespace {

std::uint64_t monotonic_usec() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(t.tv_nsec) / 1000;
}

int signal_number(const std::string& name) {
  for (const auto& [n, value] : {std::pair{"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}, {"SIGHUP", SIGHUP},
                                 {"SIGQUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}})
    if (name == n || "SIG" + name == n) return value;
  return std::atoi(name.c_str());
}

// ExecStart= with the built binary for swpt-stomp and the test's file for
// --config (and for SWPT_CONFIG, should Environment= name it); the unit's
// Environment=, its LoadCredential= files copied to a credentials
// directory of the test's (%d, CREDENTIALS_DIRECTORY), WatchdogSec= as
// WATCHDOG_USEC, as systemd gives them. Not replayed: EnvironmentFile=-
// (optional, absent here), the sandboxing and resource settings.
struct started_as_unit {
  std::filesystem::path program;
  std::vector<std::string> args;
  environment env;
};

started_as_unit as_unit(const service_unit& unit, const std::filesystem::path& config_file,
                        const std::map<std::string, std::filesystem::path>& credential_sources,
                        const std::filesystem::path& credentials, const notify_socket& notify) {
  started_as_unit out;
  REQUIRE(std::filesystem::path{unit.exec_start.front()}.filename() == "swpt-stomp");
  out.program = config().swpt_stomp;
  for (std::size_t i = 1; i < unit.exec_start.size(); ++i) {
    const std::string word = expand_specifiers(unit.exec_start[i], credentials);
    if (word == "--config" && i + 1 < unit.exec_start.size()) {
      out.args.insert(out.args.end(), {word, config_file.string()});
      ++i;
    } else if (word.starts_with("--config=")) {
      out.args.push_back("--config=" + config_file.string());
    } else {
      out.args.push_back(word);
    }
  }
  std::filesystem::create_directories(credentials);
  for (const auto& [id, path] : unit.credentials) {
    INFO(fmt::format("LoadCredential={}:{}", id, path));
    REQUIRE(credential_sources.count(id) == 1);  // the test must know what to give it
    std::filesystem::copy_file(credential_sources.at(id), credentials / id);
  }
  out.env.emplace_back("CREDENTIALS_DIRECTORY", credentials.string());
  for (const auto& [name, value] : unit.environment)
    out.env.emplace_back(name, name == "SWPT_CONFIG" ? config_file.string() : expand_specifiers(value, credentials));
  if (const auto usec = timespan_usec(unit.watchdog_sec); usec != 0)
    out.env.emplace_back("WATCHDOG_USEC", std::to_string(usec));
  for (auto& e : notify.env()) out.env.push_back(e);
  return out;
}

// The lines of the notifications that change the service's state, in order.
std::vector<std::string> states(const notify_socket& n) {
  std::vector<std::string> out;
  for (const auto& d : n.received())
    for (const char* s : {"READY=1", "RELOADING=1", "STOPPING=1"})
      if (d.has(s)) out.emplace_back(s);
  return out;
}

}  // namespace

TEST_CASE("the systemd unit's way: READY=1, RELOADING=1, READY=1, STOPPING=1 in that order",
          "[daemon-ops][notify]") {
  const char* unit_path = std::getenv("SWPT_SYSTEMD_UNIT");
  REQUIRE(unit_path != nullptr);
  INFO(fmt::format("unit file {}", unit_path));
  const service_unit unit = read_service_unit(unit_path);
  CHECK((unit.type == "notify" || unit.type == "notify-reload"));

  pair_world w{"notify"};
  const auto config_file = w.s.dir() / "swpt-stomp.yaml";
  {
    std::ofstream{config_file} << daemon_yaml(w.s.aa(), w.s.broker_url(w.s.aa()), {});
  }
  notify_socket notify{w.s.dir() / "notify"};
  const auto how = as_unit(unit, config_file, {{"server.key", w.s.aa().server_key}}, w.s.dir() / "credentials",
                           notify);
  const auto started = std::chrono::steady_clock::now();
  child_process daemon{how.program, how.args, how.env, w.s.dir() / "logs" / "aa-unit.log"};
  const auto show = [&] {
    notify.drain();
    return daemon.describe(60) + "\n" + notify.describe();
  };

  const auto ready = notify.wait_for("READY=1", 30s);
  DAEMON_REQUIRE(ready, show());
  const auto to_ready = std::chrono::duration_cast<std::chrono::milliseconds>(notify.received()[*ready].at - started);
  INFO(fmt::format("READY=1 came {} ms after the start", to_ready.count()));
  CHECK(to_ready <= 10s);
  // With READY=1 comes the live summary, one STATUS= line.
  const auto& first = notify.received()[*ready];
  CHECK(std::ranges::count_if(first.lines, [](const std::string& l) { return l.starts_with("STATUS="); }) == 1);
  CHECK(first.text().find("STATUS=STATUS=") == std::string::npos);
  // The unit's WatchdogSec=: the first ping comes at the start.
  if (!unit.watchdog_sec.empty()) DAEMON_CHECK(notify.wait_for("WATCHDOG=1", 10s), show());

  // The reload as systemd does it: ExecReload= with $MAINPID, or the
  // ReloadSignal= of Type=notify-reload.
  const std::uint64_t before_reload = monotonic_usec();
  if (!unit.exec_reload.empty()) {
    const auto reload = expand(unit.exec_reload, {{"MAINPID", std::to_string(daemon.pid())}});
    const run_result r = run(reload.front(), {reload.begin() + 1, reload.end()}, {}, w.s.dir() / "logs" / "reload.log",
                             30s);
    INFO(r.output);
    REQUIRE(r.status.exited_with(0));
  } else {
    REQUIRE(unit.type == "notify-reload");
    daemon.signal(signal_number(unit.reload_signal));
  }
  const auto reloading = notify.wait_for("RELOADING=1", 10s, *ready + 1);
  DAEMON_REQUIRE(reloading, show());
  const std::uint64_t after_reloading = monotonic_usec();
  const auto stamp = notify.received()[*reloading].value("MONOTONIC_USEC");
  DAEMON_REQUIRE(stamp, show());
  const std::uint64_t usec = std::strtoull(stamp->c_str(), nullptr, 10);
  INFO(fmt::format("MONOTONIC_USEC={} between {} and {}", usec, before_reload, after_reloading));
  CHECK(usec >= before_reload);
  CHECK(usec <= after_reloading);
  const auto ready_again = notify.wait_for("READY=1", 10s, *reloading + 1);
  DAEMON_REQUIRE(ready_again, show());

  daemon.signal(signal_number(unit.kill_signal));
  const auto stopping = notify.wait_for("STOPPING=1", 10s, *ready_again + 1);
  DAEMON_REQUIRE(stopping, show());
  const auto end = daemon.wait(20s);
  DAEMON_REQUIRE(end && end->exited_with(0), show());
  notify.drain();
  CHECK(states(notify) == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"});
}

TEST_CASE("WATCHDOG_USEC set: WATCHDOG=1 keeps coming from the event loop while the daemon runs",
          "[daemon-ops][notify][watchdog]") {
  pair_world w{"watchdog"};
  const auto config_file = w.s.dir() / "swpt-stomp.yaml";
  {
    std::ofstream{config_file} << daemon_yaml(w.s.aa(), w.s.broker_url(w.s.aa()), {});
  }
  notify_socket notify{w.s.dir() / "notify"};
  environment env = notify.env();
  env.emplace_back("WATCHDOG_USEC", "200000");  // a ping every 100 ms
  child_process daemon{config().swpt_stomp, {"run", "--config", config_file.string()}, env,
                       w.s.dir() / "logs" / "aa-watchdog.log"};
  const auto show = [&] {
    notify.drain();
    return daemon.describe(60) + "\n" + notify.describe();
  };
  const auto ready = notify.wait_for("READY=1", 30s);
  DAEMON_REQUIRE(ready, show());
  // Five pings after READY=1: the timer is re-armed each time, not sent once.
  std::size_t from = *ready + 1;
  for (int ping = 0; ping < 5; ++ping) {
    const auto at = notify.wait_for("WATCHDOG=1", 10s, from);
    DAEMON_REQUIRE(at, show());
    from = *at + 1;
  }
  daemon.signal(SIGTERM);
  const auto end = daemon.wait(20s);
  DAEMON_REQUIRE(end && end->exited_with(0), show());
}

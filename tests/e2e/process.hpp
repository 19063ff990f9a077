#pragma once
// Child processes for the end-to-end tests: started with posix_spawn, an
// argument vector and extra environment variables, stdout and stderr
// appended to one log file; stopped with signals; every wait bounded.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::e2e {

using namespace std::chrono_literals;
using duration = std::chrono::milliseconds;

// Checks `condition` every `poll` until it holds (true) or `limit` has
// passed (false; the condition is checked one last time at the deadline).
bool wait_until(const std::function<bool()>& condition, duration limit, duration poll = 50ms);

using environment = std::vector<std::pair<std::string, std::string>>;

struct exit_status {
  bool signaled = false;  // killed by a signal
  int value = 0;          // exit code, or the signal number
  bool exited_with(int code) const noexcept { return !signaled && value == code; }
  std::string to_string() const;  // "exit code 1" / "signal 9"
};

class child_process {
 public:
  // Runs `program` with `args` (argv[1]...) in an environment made of ours
  // with `env` added (replacing variables of the same name; of two entries
  // with one name in `env`, the later wins). Output goes to
  // `log` (appended; its directory is created). Throws std::system_error.
  child_process(std::filesystem::path program, std::vector<std::string> args, const environment& env,
                std::filesystem::path log);
  // Kills (SIGKILL) and reaps a process that is still running.
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();  // reaps it when it has ended
  void signal(int sig);  // no-op once it has ended
  // Waits at most `limit` for the process to end.
  std::optional<exit_status> wait(duration limit);
  // SIGTERM, then SIGKILL if it has not ended after `grace`; waits for it.
  exit_status stop(duration grace = 10s);
  std::optional<exit_status> status() const noexcept { return status_; }

  const std::filesystem::path& log_path() const noexcept { return log_; }
  std::string log() const;  // what this process wrote (not earlier runs')
  // Waits at most `limit` until the log contains `text`; false also when
  // the process ended without writing it.
  bool wait_for_log(std::string_view text, duration limit);
  // "<command line> (pid N, running|exit code C)" and the last `lines` lines
  // of its log, for failure messages.
  std::string describe(std::size_t lines = 30) const;

 private:
  void reap(int wait_status);

  std::string command_line_;
  std::filesystem::path log_;
  std::uintmax_t log_offset_ = 0;  // where this process's output begins in log_
  pid_t pid_ = -1;
  std::optional<exit_status> status_;
};

// Runs a program to completion (at most `limit`, then it is killed).
struct run_result {
  exit_status status;
  std::string output;  // stdout and stderr
};
run_result run(const std::filesystem::path& program, const std::vector<std::string>& args, const environment& env,
               const std::filesystem::path& log, duration limit = 120s);

// Lines of `text` that contain `needle`.
std::size_t count_lines_with(std::string_view text, std::string_view needle);

// Kills every child_process still alive; async-signal-safe (for the test
// runner's SIGTERM/SIGINT handler, so that no server outlives a killed run).
void kill_all_children() noexcept;

}  // namespace swpt::e2e

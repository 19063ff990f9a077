#include "process.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace swpt::e2e {

namespace {

// The live children, for kill_all_children(); 0 = free slot.
std::array<std::atomic<pid_t>, 64> live_children{};

void remember(pid_t pid) noexcept {
  for (auto& slot : live_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}

void forget(pid_t pid) noexcept {
  for (auto& slot : live_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

std::string quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"'\\$") == std::string::npos) return arg;
  return fmt::format("'{}'", arg);
}

}  // namespace

bool wait_until(const std::function<bool()>& condition, duration limit, duration poll) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

std::string exit_status::to_string() const {
  return signaled ? fmt::format("signal {}", value) : fmt::format("exit code {}", value);
}

child_process::child_process(std::filesystem::path program, std::vector<std::string> args, const environment& env,
                             std::filesystem::path log)
    : log_{std::move(log)} {
  std::filesystem::create_directories(log_.parent_path());
  std::error_code ignored;
  const auto size = std::filesystem::file_size(log_, ignored);
  log_offset_ = ignored ? 0 : size;
  args.insert(args.begin(), program.string());
  for (const auto& a : args) command_line_ += (command_line_.empty() ? "" : " ") + quote(a);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry{*e};
    const auto name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [n, v] : env) replaced = replaced || n == name;
    if (!replaced) env_strings.emplace_back(entry);
  }
  for (std::size_t i = 0; i < env.size(); ++i) {
    bool overridden = false;  // a later entry of the same name wins
    for (std::size_t j = i + 1; j < env.size(); ++j) overridden = overridden || env[j].first == env[i].first;
    if (!overridden) env_strings.push_back(env[i].first + "=" + env[i].second);
  }

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);  // our broker sockets stay ours
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), fmt::format("posix_spawn {}", command_line_));
  remember(pid_);
}

child_process::~child_process() {
  if (status_) return;
  ::kill(pid_, SIGKILL);
  int ws = 0;
  while (::waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
  }
  forget(pid_);
}

void child_process::reap(int ws) {
  status_ = WIFSIGNALED(ws) ? exit_status{true, WTERMSIG(ws)} : exit_status{false, WEXITSTATUS(ws)};
  forget(pid_);
}

bool child_process::running() {
  if (status_) return false;
  int ws = 0;
  const pid_t r = ::waitpid(pid_, &ws, WNOHANG);
  if (r == pid_) reap(ws);
  return !status_;
}

void child_process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<exit_status> child_process::wait(duration limit) {
  wait_until([this] { return !running(); }, limit, 10ms);
  return status_;
}

exit_status child_process::stop(duration grace) {
  signal(SIGTERM);
  if (auto s = wait(grace)) return *s;
  signal(SIGKILL);
  if (auto s = wait(30s)) return *s;
  throw std::runtime_error(fmt::format("{} survived SIGKILL", command_line_));
}

std::string child_process::log() const {
  std::ifstream in{log_, std::ios::binary};
  in.seekg(static_cast<std::streamoff>(log_offset_));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool child_process::wait_for_log(std::string_view text, duration limit) {
  bool found = false;
  wait_until([&] { return (found = log().find(text) != std::string::npos) || !running(); }, limit, 20ms);
  return found || log().find(text) != std::string::npos;
}

std::string child_process::describe(std::size_t lines) const {
  const std::string all = log();
  std::size_t start = all.size();
  if (start > 0 && all.back() == '\n') --start;
  for (std::size_t n = 0; n < lines && start > 0; ++n) {
    const auto nl = all.rfind('\n', start - 1);
    start = nl == std::string::npos ? 0 : nl;
  }
  if (start > 0) ++start;  // after the newline
  const std::string state = status_ ? status_->to_string() : std::string{"running"};
  return fmt::format("{} (pid {}, {}), log {}:\n{}", command_line_, pid_, state, log_.string(),
                     std::string_view{all}.substr(start));
}

run_result run(const std::filesystem::path& program, const std::vector<std::string>& args, const environment& env,
               const std::filesystem::path& log, duration limit) {
  child_process child{program, args, env, log};
  if (auto s = child.wait(limit)) return {*s, child.log()};
  const exit_status killed = child.stop(1s);
  return {killed, fmt::format("{}\n[killed after {} ms]", child.log(), limit.count())};
}

std::size_t count_lines_with(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    if (line.find(needle) != std::string_view::npos) ++count;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return count;
}

void kill_all_children() noexcept {
  for (auto& slot : live_children) {
    const pid_t pid = slot.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
}

}  // namespace swpt::e2e

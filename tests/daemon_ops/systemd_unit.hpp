#pragma once
// The [Service] section of a systemd unit file, read the way systemd reads
// the few settings a test replays by hand (systemd.service(5),
// systemd.syntax(7), systemd.exec(5)): Type=, ExecStart=, ExecReload=,
// Environment=, LoadCredential=, WatchdogSec=, KillSignal=. Command lines
// are split into words with systemd's quoting, their prefixes (-, @, :, +,
// !, !!) dropped; specifiers are left for expand_specifiers().

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace swpt::e2e {

struct service_unit {
  std::string type;                                // Type=
  std::vector<std::string> exec_start;             // ExecStart=, split into words
  std::vector<std::string> exec_reload;            // ExecReload=, split (empty: none)
  std::vector<std::pair<std::string, std::string>> environment;  // Environment=, in order
  std::vector<std::pair<std::string, std::string>> credentials;  // LoadCredential=ID:PATH
  std::string watchdog_sec;                        // WatchdogSec= as written ("30s"); empty: none
  std::string kill_signal = "SIGTERM";             // KillSignal=
  std::string reload_signal = "SIGHUP";            // ReloadSignal= (Type=notify-reload)
};

// Throws std::runtime_error for a file that cannot be read or lacks
// [Service] or ExecStart=.
service_unit read_service_unit(const std::filesystem::path& path);

// One command line into words: whitespace separates, "..." and '...'
// quote, a backslash escapes the next character.
std::vector<std::string> split_command_line(std::string_view line);

// The specifiers of `text` that a test can give values: %d the credentials
// directory, %% a percent sign; others are left as they are.
std::string expand_specifiers(std::string_view text, const std::filesystem::path& credentials_directory);

// "30s", "2min", "500ms", "1h" or plain seconds, in microseconds; 0 when it
// cannot be read.
std::uint64_t timespan_usec(std::string_view text);

// $NAME and ${NAME} replaced by `vars[NAME]` in every word (others kept).
std::vector<std::string> expand(std::vector<std::string> words, const std::map<std::string, std::string>& vars);

}  // namespace swpt::e2e

#include "systemd_unit.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

namespace swpt::e2e {

namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// systemd.service(5), "Command lines": special executable prefixes.
std::string_view drop_prefixes(std::string_view line) {
  while (!line.empty() && std::string_view{"-@:+!"}.find(line.front()) != std::string_view::npos)
    line.remove_prefix(1);
  return line;
}

// Logical lines (a trailing backslash continues a line), comments and
// blank lines left out.
std::vector<std::string> logical_lines(std::istream& in) {
  std::vector<std::string> out;
  std::string pending;
  std::string raw;
  while (std::getline(in, raw)) {
    std::string_view line = trim(raw);
    if (pending.empty() && (line.empty() || line.front() == '#' || line.front() == ';')) continue;
    if (!line.empty() && line.back() == '\\') {
      pending += std::string{line.substr(0, line.size() - 1)} + " ";
      continue;
    }
    out.push_back(pending + std::string{line});
    pending.clear();
  }
  if (!pending.empty()) out.push_back(pending);
  return out;
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (quote != 0) {
      if (c == quote)
        quote = 0;
      else
        word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::vector<std::string> expand(std::vector<std::string> words, const std::map<std::string, std::string>& vars) {
  for (auto& w : words)
    for (const auto& [name, value] : vars)
      for (const auto& form : {"${" + name + "}", "$" + name})
        for (auto at = w.find(form); at != std::string::npos; at = w.find(form, at + value.size()))
          w.replace(at, form.size(), value);
  return words;
}

std::string expand_specifiers(std::string_view text, const std::filesystem::path& credentials_directory) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 1 < text.size() && (text[i + 1] == 'd' || text[i + 1] == '%')) {
      out += text[++i] == 'd' ? credentials_directory.string() : "%";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::uint64_t timespan_usec(std::string_view text) {
  std::uint64_t number = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    number = number * 10 + static_cast<unsigned>(text[i] - '0');
  if (i == 0) return 0;
  const std::string_view unit = trim(text.substr(i));
  for (const auto& [name, usec] : {std::pair<std::string_view, std::uint64_t>{"", 1'000'000},
                                   {"s", 1'000'000}, {"sec", 1'000'000}, {"ms", 1'000}, {"us", 1},
                                   {"min", 60'000'000}, {"m", 60'000'000}, {"h", 3'600'000'000}})
    if (unit == name) return number * usec;
  return 0;
}

service_unit read_service_unit(const std::filesystem::path& path) {
  std::ifstream in{path};
  if (!in) throw std::runtime_error(fmt::format("cannot read the unit file {}", path.string()));
  service_unit unit;
  std::string section;
  bool has_service = false;
  for (const auto& line : logical_lines(in)) {
    if (line.front() == '[') {
      section = line;
      has_service = has_service || section == "[Service]";
      continue;
    }
    if (section != "[Service]") continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key{trim(std::string_view{line}.substr(0, eq))};
    const std::string_view value = trim(std::string_view{line}.substr(eq + 1));
    if (key == "Type") {
      unit.type = value;
    } else if (key == "ExecStart") {
      unit.exec_start = split_command_line(drop_prefixes(value));
    } else if (key == "ExecReload") {
      unit.exec_reload = split_command_line(drop_prefixes(value));
    } else if (key == "Environment") {
      for (const auto& assignment : split_command_line(value))
        if (const auto at = assignment.find('='); at != std::string::npos)
          unit.environment.emplace_back(assignment.substr(0, at), assignment.substr(at + 1));
    } else if (key == "LoadCredential") {
      const std::string v{value};
      if (const auto at = v.find(':'); at != std::string::npos)
        unit.credentials.emplace_back(v.substr(0, at), v.substr(at + 1));
    } else if (key == "WatchdogSec") {
      unit.watchdog_sec = value;
    } else if (key == "KillSignal") {
      unit.kill_signal = value;
    } else if (key == "ReloadSignal") {
      unit.reload_signal = value;
    }
  }
  if (!has_service || unit.exec_start.empty())
    throw std::runtime_error(fmt::format("{} has no [Service] section with ExecStart=", path.string()));
  return unit;
}

}  // namespace swpt::e2e

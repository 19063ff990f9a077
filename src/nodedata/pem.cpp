#include "nodedata/pem.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "nodedata/database_error.hpp"
#include "nodedata/text_file.hpp"

namespace swpt::nodedata {
namespace {

constexpr std::string_view begin_line = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view end_line = "-----END CERTIFICATE-----";

// Splits at "\n"; one "\r" before it belongs to the line end.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (newline != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
}

bool is_base64_line(std::string_view line) noexcept {
  return !line.empty() && std::ranges::all_of(line, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
  });
}

std::string join_block(const std::vector<std::string_view>& lines, std::size_t first, std::size_t last) {
  std::string block;
  for (std::size_t i = first; i <= last; ++i) {
    block += lines[i];
    block += '\n';
  }
  return block;
}

}  // namespace

std::string first_pem_certificate(std::string_view file_text) {
  const auto lines = split_lines(file_text);
  for (std::size_t begin = 0; begin < lines.size(); ++begin) {
    if (lines[begin] != begin_line) continue;
    std::size_t end = begin + 1;
    while (end < lines.size() && is_base64_line(lines[end])) ++end;
    // A broken block is skipped; scanning resumes after its BEGIN line.
    if (end > begin + 1 && end < lines.size() && lines[end] == end_line) return join_block(lines, begin, end);
  }
  return {};
}

std::string read_pem_file(const std::filesystem::path& file) {
  std::string block = first_pem_certificate(read_text_file(file));
  if (block.empty()) throw database_error{file, "no PEM certificate block"};
  return block;
}

}  // namespace swpt::nodedata

#include "nodedata/database_error.hpp"

#include <iterator>
#include <utility>

#include <fmt/format.h>

namespace swpt::nodedata {

database_error::database_error(std::filesystem::path where, std::string_view problem)
    : std::runtime_error{fmt::format("{}: {}", where.string(), problem)}, file{std::move(where)} {}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace swpt::nodedata

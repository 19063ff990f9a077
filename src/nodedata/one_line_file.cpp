#include "nodedata/one_line_file.hpp"

#include <fmt/format.h>

#include "nodedata/database_error.hpp"
#include "nodedata/node_id.hpp"
#include "nodedata/text_file.hpp"

namespace swpt::nodedata {

std::string_view strip_line_end(std::string_view text) noexcept {
  if (text.ends_with("\r\n")) text.remove_suffix(2);
  else if (text.ends_with('\n')) text.remove_suffix(1);
  return text;
}

std::string read_one_line_file(const std::filesystem::path& file) {
  return std::string{strip_line_end(read_text_file(file))};
}

node_type read_node_type_file(const std::filesystem::path& file) {
  const std::string text = read_one_line_file(file);
  const auto type = parse_node_type(text);
  if (!type) throw database_error{file, "invalid node type " + quote(text)};
  return *type;
}

// Quirk of the original not repeated: it parsed the digits leniently
// ("0x12", " 12", "+1"); subnet::parse accepts only [0-9a-fA-F].
// An empty file is rejected as well, although "" parses as the universal
// subnet: the scripts never write an empty subnet file, and reading one
// (e.g. truncated) as "every ID" would silently widen what a peer may send.
subnet read_subnet_file(const std::filesystem::path& file) {
  const std::string text = read_one_line_file(file);
  if (text.empty()) throw database_error{file, "empty subnet"};
  const auto parsed = subnet::parse(text);
  if (!parsed) throw database_error{file, "invalid subnet " + quote(text)};
  return *parsed;
}

std::string read_node_id_file(const std::filesystem::path& file, node_type type) {
  std::string id = read_one_line_file(file);
  if (!is_node_id_of(type, id))
    throw database_error{file, fmt::format("invalid node ID {} for a node of type {}", quote(id),
                                           quote(node_type_name(type)))};
  return id;
}

}  // namespace swpt::nodedata

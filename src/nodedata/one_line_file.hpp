#pragma once
// One-line files (db/nodeid, db/nodetype, nodetype.txt, the subnet files):
// exactly one trailing "\r\n" or "\n" is removed if present and nothing else
// is trimmed, so a trailing space, a second newline or a lone "\r" stays in
// the value and makes it invalid.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/node_type.hpp"
#include "core/subnet.hpp"

namespace swpt::nodedata {

std::string_view strip_line_end(std::string_view text) noexcept;

// The file's content without its line end; throws database_error.
std::string read_one_line_file(const std::filesystem::path& file);

// Each throws database_error naming the file if the value is invalid.
node_type read_node_type_file(const std::filesystem::path& file);
// Rejects an empty file (see the .cpp for why).
subnet read_subnet_file(const std::filesystem::path& file);
std::string read_node_id_file(const std::filesystem::path& file, node_type type);

}  // namespace swpt::nodedata

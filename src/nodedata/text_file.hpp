#pragma once
// Reading whole files of the node database, and asking whether entries exist.
// Every failure becomes a database_error naming the path.

#include <cstddef>
#include <filesystem>
#include <string>

namespace swpt::nodedata {

// The largest legitimate file is a certificate with its text dump (a few
// KiB). The bound keeps a stray huge file from being loaded whole.
inline constexpr std::size_t max_file_size = 1024 * 1024;

// The bytes of a regular file. Throws database_error when the file is
// missing, unreadable, not a regular file or larger than max_file_size.
std::string read_text_file(const std::filesystem::path& file);

// Existence checks that follow symlinks. "Not found" is an answer; any other
// failure (e.g. permission denied) throws database_error, because guessing
// would make a broken database look like an empty one.
bool entry_exists(const std::filesystem::path& entry);
bool directory_exists(const std::filesystem::path& dir);

}  // namespace swpt::nodedata

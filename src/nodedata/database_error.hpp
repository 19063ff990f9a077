#pragma once
// The single error type of the node database layer. Every problem is tied to
// the file (or directory) where it was found, because the operator who reads
// the log has to know which file to fix.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swpt::nodedata {

struct database_error : std::runtime_error {
  // what() is "<file>: <problem>".
  database_error(std::filesystem::path where, std::string_view problem);

  std::filesystem::path file;
};

// A value quoted for an error text: double quotes around it, with quotes,
// backslashes and control characters escaped, so that a stray "\n" or "\r"
// in a file is visible in a one-line log message.
std::string quote(std::string_view value);

}  // namespace swpt::nodedata

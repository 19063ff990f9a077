#include "temp_tree.hpp"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace swpt::nodedata::testing {
namespace {

std::filesystem::path make_unique_directory() {
  std::string name = (std::filesystem::temp_directory_path() / "swpt-nodedata-test-XXXXXX").string();
  if (::mkdtemp(name.data()) == nullptr)
    throw std::system_error{errno, std::generic_category(), "mkdtemp " + name};
  return name;
}

}  // namespace

temp_tree::temp_tree(const entries& files) : root_{make_unique_directory()} { write(files); }

temp_tree::~temp_tree() {
  std::error_code ignored;  // a destructor must not throw; a leftover is harmless
  std::filesystem::remove_all(root_, ignored);
}

void temp_tree::write(std::string_view relative, std::string_view content) const {
  const auto target = root_ / relative;
  if (relative.ends_with('/')) {
    std::filesystem::create_directories(target);
    return;
  }
  std::filesystem::create_directories(target.parent_path());
  std::ofstream out{target, std::ios::binary | std::ios::trunc};
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error{"cannot write " + target.string()};
}

void temp_tree::write(const entries& files) const {
  for (const auto& [relative, content] : files) write(relative, content);
}

void temp_tree::remove(std::string_view relative) const { std::filesystem::remove_all(root_ / relative); }

}  // namespace swpt::nodedata::testing

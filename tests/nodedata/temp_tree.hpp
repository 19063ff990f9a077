#pragma once
// A fresh directory tree for one test, removed when the test ends.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swpt::nodedata::testing {

class temp_tree {
 public:
  // Relative path -> content. A path ending with "/" makes a directory.
  using entries = std::vector<std::pair<std::string, std::string>>;

  explicit temp_tree(const entries& files = {});
  temp_tree(const temp_tree&) = delete;
  temp_tree& operator=(const temp_tree&) = delete;
  ~temp_tree();

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path operator/(std::string_view relative) const { return root_ / relative; }

  // Creates parent directories as needed; overwrites an existing file.
  void write(std::string_view relative, std::string_view content) const;
  void write(const entries& files) const;
  void remove(std::string_view relative) const;

 private:
  std::filesystem::path root_;
};

}  // namespace swpt::nodedata::testing

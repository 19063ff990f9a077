#include "nodedata/database_url.hpp"

#include <stdexcept>
#include <string>

namespace swpt::nodedata {

std::filesystem::path parse_database_url(std::string_view url) {
  constexpr std::string_view scheme = "file://";
  // The path must start right after the scheme with "/": anything else is a
  // host name or a relative path, neither of which means a local directory.
  if (!url.starts_with(scheme) || url.size() == scheme.size() || url[scheme.size()] != '/')
    throw std::invalid_argument{"invalid database URL: " + std::string{url}};
  auto root = std::filesystem::path{url.substr(scheme.size())}.lexically_normal();
  // lexically_normal keeps a trailing separator ("/a/b/" -> "/a/b/").
  if (!root.has_filename() && root != root.root_path()) root = root.parent_path();
  return root;
}

}  // namespace swpt::nodedata

#pragma once
// SWPT_NODEDATA_URL: where the node database directory lives.

#include <filesystem>
#include <string_view>

namespace swpt::nodedata {

// Accepts only "file:///<absolute path>" and returns the path after
// "file://", lexically normalized and without a trailing slash
// ("file:///home//user/./db/" -> "/home/user/db"). No percent-decoding and
// no host part ("file://host/x" is rejected). Anything else throws
// std::invalid_argument("invalid database URL: <url>").
std::filesystem::path parse_database_url(std::string_view url);

}  // namespace swpt::nodedata

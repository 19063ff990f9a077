#pragma once
// Checks that an action throws database_error naming `file`, with `fragment`
// in the message.

#include <filesystem>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "nodedata/database_error.hpp"

namespace swpt::nodedata::testing {

template <class Action>
void require_database_error(Action&& action, const std::filesystem::path& file, std::string_view fragment) {
  try {
    action();
  } catch (const database_error& e) {
    INFO("what(): " << e.what());
    CHECK(e.file == file);
    CHECK_THAT(e.what(), Catch::Contains(file.string()));
    CHECK_THAT(e.what(), Catch::Contains(std::string{fragment}));
    return;
  }
  FAIL("no database_error for " << file << " (expected: " << fragment << ")");
}

}  // namespace swpt::nodedata::testing

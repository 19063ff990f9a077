#pragma once
// Exceptions as one line of a log: "what: why: deeper why", following the
// chain of std::throw_with_nested.

#include <exception>
#include <string>

namespace swpt::log {

std::string describe(const std::exception& e);
std::string describe(std::exception_ptr e);

}  // namespace swpt::log

#include "log/describe.hpp"

namespace swpt::log {

std::string describe(const std::exception& e) {
  std::string text = e.what();
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    text += ": " + describe(inner);
  } catch (...) {
    text += ": an unknown error";
  }
  return text;
}

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    return describe(x);
  } catch (...) {
    return "an unknown error";
  }
}

}  // namespace swpt::log

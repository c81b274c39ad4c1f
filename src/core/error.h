#pragma once
// Two kinds of error (see docs): external input problems are thrown as hearth::Error with
// context and turned into one-line messages at the CLI/server boundary; broken invariants
// use HEARTH_CHECK, which stays on in Release and names file:line.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hearth {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace hearth

#define HEARTH_CHECK(cond, ...)                                                        \
  do {                                                                                 \
    if (!(cond)) ::hearth::check_failed(#cond, __FILE__, __LINE__, ::fmt::format("" __VA_ARGS__)); \
  } while (0)

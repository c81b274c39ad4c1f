#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace hearth {

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "hearth: internal error at %s:%d: check '%s' failed%s%s\n", file, line, expr,
               msg.empty() ? "" : ": ", msg.c_str());
  std::abort();
}

}  // namespace hearth

#pragma once
// Errors raised by chat templates. Both derive from hearth::Error, so callers that only care
// about "bad input" catch that; the server can tell a template's own raise_exception apart.
#include <string>

#include "core/error.h"

namespace hearth::chat {

// A syntax error (with line and column) or a runtime error while rendering.
class TemplateError : public Error {
 public:
  using Error::Error;
};

// raise_exception(message) called by the template; what() is exactly the template's message.
class TemplateRaised : public TemplateError {
 public:
  using TemplateError::TemplateError;
};

namespace jinja {
// Thrown by value helpers, filters and methods without a source position; the interpreter
// turns it into a TemplateError naming the line and column of the failing expression.
class EvalError : public Error {
 public:
  using Error::Error;
};

template <typename... Args>
[[noreturn]] void eval_fail(fmt::format_string<Args...> f, Args&&... args) {
  throw EvalError(fmt::format(f, std::forward<Args>(args)...));
}
}  // namespace jinja

}  // namespace hearth::chat

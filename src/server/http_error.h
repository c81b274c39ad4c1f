#pragma once
// An error that becomes an HTTP response: status plus OpenAI's error shape
// {"error": {"message", "type", "param", "code"}} (the Ollama routes send {"error": message}).
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace hearth::server {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string message, std::string param = {}, std::string code = {})
      : std::runtime_error(std::move(message)), status_(status), param_(std::move(param)), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }
  // "invalid_request_error", "authentication_error", "not_found_error", ... from the status.
  std::string type() const;

 private:
  int status_;
  std::string param_, code_;
};

// 400 naming the request field at fault.
template <typename... Args>
[[noreturn]] void bad_field(const std::string& field, fmt::format_string<Args...> f, Args&&... args) {
  throw HttpError(400, fmt::format(f, std::forward<Args>(args)...), field, "invalid_value");
}

}  // namespace hearth::server

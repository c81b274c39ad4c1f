#include "store/modelfile.h"

#include <cctype>

#include "core/error.h"
#include "store/parameters.h"

namespace hearth::store {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  Modelfile parse() {
    Modelfile mf;
    bool have_from = false;
    while (skip_blank_and_comments()) {
      const size_t line = line_;
      std::string word = read_word();
      for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      skip_spaces();
      try {
        if (word == "FROM") {
          if (have_from) error(line, "FROM given twice");
          mf.from = read_argument(line);
          have_from = true;
        } else if (word == "PARAMETER") {
          const std::string name = read_word();
          skip_spaces();
          if (name.empty()) error(line, "PARAMETER needs a name and a value");
          set_parameter(mf.parameters, to_lower(name), read_argument(line));
        } else if (word == "TEMPLATE") {
          mf.template_text = read_argument(line, true);
        } else if (word == "SYSTEM") {
          mf.system = read_argument(line, true);
        } else if (word == "LICENSE") {
          mf.licenses.push_back(read_argument(line, true));
        } else if (word == "MESSAGE") {
          const std::string role = to_lower(read_word());
          skip_spaces();
          if (role != "system" && role != "user" && role != "assistant")
            error(line, "MESSAGE role must be system, user or assistant, got '" + role + "'");
          mf.messages.push_back({role, read_argument(line, true)});
        } else if (word == "ADAPTER") {
          error(line, "ADAPTER (LoRA adapters) is not supported");
        } else {
          error(line, "unknown instruction '" + word +
                          "' (expected FROM, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE)");
        }
      } catch (const Error& e) {
        const std::string msg = e.what();
        if (msg.rfind(what_, 0) == 0) throw;
        error(line, msg);
      }
    }
    if (!have_from) fail("{}: no FROM instruction (FROM ./model.gguf or FROM name:tag)", what_);
    return mf;
  }

 private:
  [[noreturn]] void error(size_t line, const std::string& msg) { fail("{}:{}: {}", what_, line, msg); }

  static std::string to_lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void advance() {
    if (s_[i_] == '\n') ++line_;
    ++i_;
  }

  void skip_spaces() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) advance();
  }

  // Skips empty lines and '#' comments; false at end of input.
  bool skip_blank_and_comments() {
    for (;;) {
      while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) advance();
      if (at_end()) return false;
      if (peek() != '#') return true;
      while (!at_end() && peek() != '\n') advance();
    }
  }

  std::string read_word() {
    std::string w;
    while (!at_end() && !std::isspace(static_cast<unsigned char>(peek()))) {
      w += peek();
      advance();
    }
    return w;
  }

  std::string rest_of_line() {
    std::string r;
    while (!at_end() && peek() != '\n') {
      r += peek();
      advance();
    }
    while (!r.empty() && (r.back() == ' ' || r.back() == '\t' || r.back() == '\r')) r.pop_back();
    return r;
  }

  // An argument: """multi-line""", "quoted" (backslash escapes \" \\ \n), or the rest of the line.
  std::string read_argument(size_t line, bool allow_empty = false) {
    std::string out;
    if (s_.substr(i_, 3) == R"(""")") {
      for (int k = 0; k < 3; ++k) advance();
      const size_t end = s_.find(R"(""")", i_);
      if (end == std::string_view::npos) error(line, "unterminated \"\"\" string");
      while (i_ < end) {
        out += peek();
        advance();
      }
      for (int k = 0; k < 3; ++k) advance();
    } else if (!at_end() && peek() == '"') {
      advance();
      for (;;) {
        if (at_end() || peek() == '\n') error(line, "unterminated \" string");
        char c = peek();
        advance();
        if (c == '"') break;
        if (c == '\\' && !at_end() && peek() != '\n') {
          const char e = peek();
          advance();
          c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        out += c;
      }
    } else {
      out = rest_of_line();
      if (out.empty() && !allow_empty) error(line, "missing argument");
      return out;
    }
    skip_spaces();
    if (!at_end() && peek() != '\n' && peek() != '\r' && peek() != '#')
      error(line, "unexpected text after the closing quote");
    rest_of_line();
    return out;
  }

  std::string_view s_;
  const std::string& what_;
  size_t i_ = 0;
  size_t line_ = 1;
};

}  // namespace

Modelfile parse_modelfile(std::string_view text, const std::string& what) {
  if (text.find('\0') != std::string_view::npos) fail("{}: contains a NUL byte (not a text file)", what);
  return Parser(text, what).parse();
}

}  // namespace hearth::store

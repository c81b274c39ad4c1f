#pragma once
// A compiled Jinja template: parse once, render many times (thread-safe: rendering does not
// modify the template). Rendering matches the reference renderer @huggingface/jinja with the
// settings transformers uses (trim_blocks, lstrip_blocks).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/errors.h"
#include "chat/interpreter.h"
#include "chat/value.h"

namespace hearth::chat::jinja {

struct Program;

class Template {
 public:
  // Parses `source`; syntax errors are TemplateErrors "<name>: line L, column C: ...".
  explicit Template(std::string source, std::string name = "template");

  // Renders with the variables of `context` (a JSON object) on top of the globals.
  std::string render(const nlohmann::ordered_json& context, const RenderSettings& settings = {}) const;
  // Same, with variables already converted to values (a Value object).
  std::string render_values(const Value& context, const RenderSettings& settings = {}) const;

  const std::string& source() const { return source_; }
  const std::string& name() const { return name_; }

 private:
  std::string source_, name_;
  std::shared_ptr<const Program> program_;
};

}  // namespace hearth::chat::jinja

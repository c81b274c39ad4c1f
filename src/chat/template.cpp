#include "chat/template.h"

#include <fmt/format.h>

#include "chat/ast.h"
#include "chat/errors.h"
#include "chat/lexer.h"
#include "chat/parser.h"

namespace hearth::chat::jinja {

Template::Template(std::string source, std::string name) : source_(std::move(source)), name_(std::move(name)) {
  try {
    program_ = std::make_shared<const Program>(parse(source_, tokenize(source_)));
  } catch (const TemplateError& e) {
    throw TemplateError(fmt::format("{}: syntax error: {}", name_, e.what()));
  }
}

std::string Template::render(const nlohmann::ordered_json& context, const RenderSettings& settings) const {
  if (!context.is_object() && !context.is_null())
    throw TemplateError(fmt::format("{}: the render context must be a JSON object", name_));
  Value ctx = Value::object();
  if (context.is_object()) {
    try {
      for (const auto& [k, v] : context.items()) ctx.as_object().set(k, Value::from_json(v));
    } catch (const EvalError& e) {
      throw TemplateError(fmt::format("{}: {}", name_, e.what()));
    }
  }
  return render_values(ctx, settings);
}

std::string Template::render_values(const Value& context, const RenderSettings& settings) const {
  ScopePtr globals = make_global_scope();
  if (context.is_object())
    for (const auto& [k, v] : context.as_object().entries()) globals->set(k, v);
  try {
    Interpreter interp(source_, settings);
    return interp.render(*program_, globals);
  } catch (const TemplateRaised&) {
    throw;
  } catch (const TemplateError& e) {
    throw TemplateError(fmt::format("{}: {}", name_, e.what()));
  } catch (const EvalError& e) {  // not expected: every evaluation error gets a position
    throw TemplateError(fmt::format("{}: {}", name_, e.what()));
  }
}

}  // namespace hearth::chat::jinja

#include "chat/interpreter.h"

#include <fmt/format.h>

#include <cmath>

#include "chat/errors.h"
#include "chat/lexer.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

const Value* Scope::lookup(std::string_view name) const {
  for (const Scope* s = this; s; s = s->parent.get())
    for (const auto& [k, v] : s->vars)
      if (k == name) return &v;
  return nullptr;
}

void Scope::set(std::string_view name, Value value) {
  for (auto& [k, v] : vars)
    if (k == name) {
      v = std::move(value);
      return;
    }
  vars.emplace_back(std::string(name), std::move(value));
}

Interpreter::Interpreter(std::string_view source, const RenderSettings& settings)
    : source_(source), settings_(settings) {}

Interpreter::~Interpreter() {
  // Templates can build cycles through namespaces and list.append; empty the containers they
  // mutated so the cycles are freed with the render.
  for (const Value& v : mutated_) {
    if (v.is_array()) {
      ValueList dead;
      dead.swap(v.as_array());
    } else if (v.is_object_or_namespace()) {
      Object dead(v.as_object().is_namespace());
      std::swap(dead, v.as_object());
    }
  }
}

void Interpreter::track_mutable(const Value& container) { mutated_.push_back(container); }

void Interpreter::fail_at(uint32_t offset, const std::string& msg) const {
  const SourcePos p = locate(source_, offset);
  throw TemplateError(fmt::format("line {}, column {}: {}", p.line, p.column, msg));
}

void Interpreter::step() {
  if (++steps_ > settings_.max_steps)
    eval_fail("rendering took more than {} steps; the template loops too long", settings_.max_steps);
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > settings_.max_output_bytes)
    eval_fail("the rendered text would exceed the {} byte limit", settings_.max_output_bytes);
}

std::string Interpreter::render(const Program& program, const ScopePtr& globals) {
  std::string out;
  const Flow f = exec_block(program.body, globals, out);
  if (f != Flow::Normal) throw TemplateError("'break' or 'continue' outside of a loop");
  return out;
}

void Interpreter::append_output(std::string& out, const Value& v) const {
  if (v.is_none_or_undefined()) return;
  out += to_display(v);
  check_size(out.size());
}

// --- statements ----------------------------------------------------------------------------

Interpreter::Flow Interpreter::exec_block(const Block& block, const ScopePtr& scope, std::string& out) {
  for (const Stmt& s : block) {
    const Flow f = exec(s, scope, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, const ScopePtr& scope, std::string& out) {
  try {
    step();
    switch (s.kind) {
      case StmtKind::Text:
        out += s.text;
        check_size(out.size());
        return Flow::Normal;
      case StmtKind::Output:
        append_output(out, eval(*s.expr, scope));
        return Flow::Normal;
      case StmtKind::If:
        return exec_block(eval(*s.expr, scope).truthy() ? s.body : s.else_body, scope, out);
      case StmtKind::For:
        return exec_for(s, scope, out);
      case StmtKind::Set:
        assign(*s.target, eval(*s.expr, scope), scope);
        return Flow::Normal;
      case StmtKind::SetBlock: {
        std::string buf;
        const Flow f = exec_block(s.body, scope, buf);
        if (f != Flow::Normal) return f;
        assign(*s.target, Value::string(std::move(buf)), scope);
        return Flow::Normal;
      }
      case StmtKind::Macro:
        scope->set(s.text, make_macro(s));
        return Flow::Normal;
      case StmtKind::CallBlock:
        return exec_call_block(s, scope, out);
      case StmtKind::FilterBlock: {
        std::string buf;
        const Flow f = exec_block(s.body, scope, buf);
        if (f != Flow::Normal) return f;
        CallArgs args = eval_args(s.expr->args, scope);
        Value result;
        try {
          result = apply_filter(*this, s.expr->name, Value::string(std::move(buf)), args, scope);
        } catch (const EvalError& e) {
          fail_at(s.expr->offset, e.what());
        }
        append_output(out, result);
        return Flow::Normal;
      }
      case StmtKind::Break: return Flow::Break;
      case StmtKind::Continue: return Flow::Continue;
    }
  } catch (const EvalError& e) {
    fail_at(s.offset, e.what());
  }
  return Flow::Normal;
}

namespace {

void bind_target(const Expr& target, const Value& item, Scope& scope) {
  if (target.kind == ExprKind::Name) {
    scope.set(target.name, item);
    return;
  }
  if (!item.is_array()) eval_fail("cannot unpack a {} into {} loop variables", item.type_name(), target.items.size());
  const auto& parts = item.as_array();
  if (parts.size() != target.items.size())
    eval_fail("too {} items to unpack: expected {}, got {}", parts.size() < target.items.size() ? "few" : "many",
              target.items.size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (target.items[i]->kind != ExprKind::Name) eval_fail("can only unpack into names");
    scope.set(target.items[i]->name, parts[i]);
  }
}

Value loop_object(const ValueList& items, size_t i) {
  const size_t n = items.size();
  Value loop = Value::object();
  Object& o = loop.as_object();
  o.append_unique("index", Value::integer(static_cast<int64_t>(i + 1)));
  o.append_unique("index0", Value::integer(static_cast<int64_t>(i)));
  o.append_unique("revindex", Value::integer(static_cast<int64_t>(n - i)));
  o.append_unique("revindex0", Value::integer(static_cast<int64_t>(n - i - 1)));
  o.append_unique("first", Value::boolean(i == 0));
  o.append_unique("last", Value::boolean(i + 1 == n));
  o.append_unique("length", Value::integer(static_cast<int64_t>(n)));
  o.append_unique("previtem", i > 0 ? items[i - 1] : Value());
  o.append_unique("nextitem", i + 1 < n ? items[i + 1] : Value());
  return loop;
}

}  // namespace

Interpreter::Flow Interpreter::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out) {
  auto loop_scope = std::make_shared<Scope>(scope);
  const Value iterable = eval(*s.expr, loop_scope);
  ValueList source;
  if (iterable.is_array()) {
    source = iterable.as_array();
  } else if (iterable.is_object()) {
    for (const auto& [k, v] : iterable.as_object().entries()) source.push_back(Value::string(k));
  } else if (iterable.is_string()) {  // Jinja iterates characters; the reference rejects strings
    for (auto cp : text::split_code_points(iterable.as_string())) source.push_back(Value::string(std::string(cp)));
  } else {
    fail_at(s.expr->offset, fmt::format("cannot iterate over a value of type {}", iterable.type_name()));
  }

  ValueList items;
  if (s.cond) {
    for (const Value& item : source) {
      step();
      auto test_scope = std::make_shared<Scope>(loop_scope);
      try {
        bind_target(*s.target, item, *test_scope);
      } catch (const EvalError& e) {
        fail_at(s.target->offset, e.what());
      }
      if (eval(*s.cond, test_scope).truthy()) items.push_back(item);
    }
  } else {
    items = std::move(source);
  }

  // As in the reference: an iteration left by break/continue contributes no output, and the
  // else block runs unless some iteration completed normally.
  bool completed_any = false;
  for (size_t i = 0; i < items.size(); ++i) {
    step();
    loop_scope->set("loop", loop_object(items, i));
    try {
      bind_target(*s.target, items[i], *loop_scope);
    } catch (const EvalError& e) {
      fail_at(s.target->offset, e.what());
    }
    const size_t mark = out.size();
    const Flow f = exec_block(s.body, loop_scope, out);
    if (f == Flow::Continue) {
      out.resize(mark);
      continue;
    }
    if (f == Flow::Break) {
      out.resize(mark);
      break;
    }
    completed_any = true;
  }
  if (!completed_any) return exec_block(s.else_body, loop_scope, out);
  return Flow::Normal;
}

void Interpreter::assign(const Expr& target, Value value, const ScopePtr& scope) {
  switch (target.kind) {
    case ExprKind::Name:
      scope->set(target.name, std::move(value));
      return;
    case ExprKind::Tuple:
      try {
        bind_target(target, value, *scope);
      } catch (const EvalError& e) {
        fail_at(target.offset, e.what());
      }
      return;
    case ExprKind::Attribute: {
      const Value object = eval(*target.a, scope);
      if (!object.is_namespace())
        fail_at(target.offset, fmt::format("cannot assign attribute '{}' on a {}: only namespace() objects allow it",
                                           target.name, object.type_name()));
      object.as_object().set(target.name, std::move(value));
      return;
    }
    default:
      fail_at(target.offset, "invalid assignment target");
  }
}

void Interpreter::bind_params(const std::vector<Param>& params, CallArgs& args, const ScopePtr& scope) {
  std::vector<std::pair<std::string, Value>> keywords = std::move(args.keyword);
  std::vector<const Param*> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    Value v;
    bool given = false;
    if (i < args.positional.size()) {
      v = args.positional[i];
      given = true;
    } else {
      for (auto it = keywords.begin(); it != keywords.end(); ++it)
        if (it->first == p.name) {
          v = std::move(it->second);
          keywords.erase(it);
          given = true;
          break;
        }
    }
    if (!given && p.default_value) pending_defaults.push_back(&p);
    scope->set(p.name, std::move(v));
  }
  Value kwargs = Value::object();
  for (auto& [k, v] : keywords) kwargs.as_object().set(k, std::move(v));
  scope->set("kwargs", std::move(kwargs));
  ValueList varargs;
  for (size_t i = params.size(); i < args.positional.size(); ++i) varargs.push_back(args.positional[i]);
  scope->set("varargs", Value::array(std::move(varargs)));
  for (const Param* p : pending_defaults) scope->set(p->name, eval(*p->default_value, scope));
}

Value Interpreter::make_macro(const Stmt& s) {
  const Stmt* stmt = &s;
  return Value::function(s.text, [stmt](Interpreter& in, const ScopePtr& caller, CallArgs& args) {
    auto local = std::make_shared<Scope>(caller);
    in.bind_params(stmt->params, args, local);
    std::string out;
    if (in.exec_block(stmt->body, local, out) != Flow::Normal)
      in.fail_at(stmt->offset, "'break' or 'continue' outside of a loop in a macro");
    return Value::string(std::move(out));
  });
}

Interpreter::Flow Interpreter::exec_call_block(const Stmt& s, const ScopePtr& scope, std::string& out) {
  const Stmt* stmt = &s;
  std::weak_ptr<Scope> weak = scope;
  Value caller = Value::function("caller", [stmt, weak](Interpreter& in, const ScopePtr&, CallArgs& args) {
    ScopePtr closure = weak.lock();
    if (!closure) eval_fail("caller() used after its call block ended");
    auto local = std::make_shared<Scope>(closure);
    in.bind_params(stmt->params, args, local);
    std::string body;
    if (in.exec_block(stmt->body, local, body) != Flow::Normal)
      in.fail_at(stmt->offset, "'break' or 'continue' outside of a loop in a call block");
    return Value::string(std::move(body));
  });
  const Expr& call_expr = *s.expr;
  CallArgs args = eval_args(call_expr.args, scope);
  const Value fn = eval(*call_expr.a, scope);
  auto env = std::make_shared<Scope>(scope);
  env->set("caller", std::move(caller));
  Value result;
  try {
    result = call(fn, args, env);
  } catch (const EvalError& e) {
    fail_at(call_expr.offset, e.what());
  }
  append_output(out, result);
  return Flow::Normal;
}

// --- expressions ---------------------------------------------------------------------------

Value Interpreter::eval(const Expr& e, const ScopePtr& scope) {
  try {
    step();
    return eval_inner(e, scope);
  } catch (const EvalError& err) {
    fail_at(e.offset, err.what());
  }
}

CallArgs Interpreter::eval_args(const std::vector<Arg>& args, const ScopePtr& scope) {
  CallArgs out;
  for (const Arg& a : args) {
    if (a.kind == Arg::Kind::Positional) {
      out.positional.push_back(eval(*a.value, scope));
    } else if (a.kind == Arg::Kind::Spread) {
      const Value v = eval(*a.value, scope);
      if (!v.is_array()) fail_at(a.value->offset, fmt::format("cannot unpack a {} with '*'", v.type_name()));
      for (const Value& item : v.as_array()) out.positional.push_back(item);
    }
  }
  auto add_keyword = [&](const std::string& name, Value v, uint32_t offset) {
    if (out.keyword_arg(name)) fail_at(offset, fmt::format("got multiple values for keyword argument '{}'", name));
    out.keyword.emplace_back(name, std::move(v));
  };
  for (const Arg& a : args) {
    if (a.kind == Arg::Kind::Keyword) {
      add_keyword(a.name, eval(*a.value, scope), a.value->offset);
    } else if (a.kind == Arg::Kind::KeywordSpread) {
      const Value v = eval(*a.value, scope);
      if (!v.is_object()) fail_at(a.value->offset, fmt::format("argument after '**' must be a mapping, not {}", v.type_name()));
      for (const auto& [k, item] : v.as_object().entries()) add_keyword(k, item, a.value->offset);
    }
  }
  return out;
}

Value Interpreter::call(const Value& fn, CallArgs& args, const ScopePtr& scope) {
  if (!fn.is_function()) eval_fail("cannot call a value of type {}", fn.type_name());
  if (call_depth_ >= kMaxCallDepth) eval_fail("calls nested deeper than {} (runaway recursion?)", kMaxCallDepth);
  ++call_depth_;
  struct Restore {
    int& depth;
    ~Restore() { --depth; }
  } restore{call_depth_};
  return fn.as_function().fn(*this, scope, args);
}

namespace {

Value member(const Value& object, const Value& property) {
  if (object.is_object_or_namespace()) {
    if (!property.is_string()) eval_fail("cannot access a member with a key of type {}", property.type_name());
    if (const Value* v = object.as_object().find(property.as_string())) return *v;
    if (object.is_object())
      if (auto b = builtin_member(object, property.as_string())) return *b;
    return Value();
  }
  if (object.is_array() || object.is_string()) {
    if (property.is_int()) {
      int64_t i = property.as_int();
      if (object.is_array()) {
        const auto& items = object.as_array();
        const auto n = static_cast<int64_t>(items.size());
        if (i < 0) i += n;
        return (i >= 0 && i < n) ? items[static_cast<size_t>(i)] : Value();
      }
      // JavaScript indexes strings by UTF-16 unit; half of a surrogate pair comes out as U+FFFD
      // once encoded as UTF-8, as the reference's output does.
      const std::string& s = object.as_string();
      const auto n = static_cast<int64_t>(text::utf16_length(s));
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value();
      int64_t unit = 0;
      for (size_t pos = 0; pos < s.size();) {
        const size_t start = pos;
        const uint32_t cp = text::next_code_point(s, pos);
        const int64_t width = cp >= 0x10000 ? 2 : 1;
        if (i < unit + width) {
          if (width == 2) return Value::string("\xEF\xBF\xBD");
          return Value::string(s.substr(start, pos - start));
        }
        unit += width;
      }
      return Value();
    }
    if (property.is_string()) {
      if (auto b = builtin_member(object, property.as_string())) return *b;
      return Value();
    }
    eval_fail("cannot index a {} with a {}", object.type_name(), property.type_name());
  }
  if (!property.is_string()) eval_fail("cannot access a member of {} with a key of type {}", object.type_name(), property.type_name());
  return Value();  // attributes of none/undefined/numbers are undefined, as in the reference
}

}  // namespace

Value Interpreter::eval_inner(const Expr& e, const ScopePtr& scope) {
  switch (e.kind) {
    case ExprKind::Literal: return e.value;
    case ExprKind::Name: {
      const Value* v = scope->lookup(e.name);
      return v ? *v : Value();
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      ValueList items;
      items.reserve(e.items.size());
      for (const auto& item : e.items) items.push_back(eval(*item, scope));
      return Value::array(std::move(items));
    }
    case ExprKind::Dict: {
      Value obj = Value::object();
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        const Value key = eval(*e.items[i], scope);
        if (!key.is_string()) fail_at(e.items[i]->offset, fmt::format("object keys must be strings, got {}", key.type_name()));
        obj.as_object().set(key.as_string(), eval(*e.items[i + 1], scope));
      }
      return obj;
    }
    case ExprKind::Attribute: return member(eval(*e.a, scope), Value::string(e.name));
    case ExprKind::Index: {
      const Value object = eval(*e.a, scope);
      return member(object, eval(*e.b, scope));
    }
    case ExprKind::Slice: return eval_slice(e, scope);
    case ExprKind::Call: return eval_call(e, scope);
    case ExprKind::Unary: {
      const Value v = eval(*e.a, scope);
      if (e.name == "not") return Value::boolean(!v.truthy());
      const bool neg = e.name == "-";
      if (v.is_float()) return Value::number(neg ? -v.as_float() : v.as_float());
      if (v.is_int() || v.is_bool()) {
        const int64_t i = v.is_int() ? v.as_int() : (v.as_bool() ? 1 : 0);
        if (neg && i == INT64_MIN) return Value::number(-static_cast<double>(i));
        return Value::integer(neg ? -i : i);
      }
      eval_fail("unary '{}' needs a number, got {}", e.name, v.type_name());
    }
    case ExprKind::Binary: return eval_binary(e, scope);
    case ExprKind::Filter: {
      const Value operand = eval(*e.a, scope);
      CallArgs args = eval_args(e.args, scope);
      return apply_filter(*this, e.name, operand, args, scope);
    }
    case ExprKind::Test: {
      const Value operand = eval(*e.a, scope);
      CallArgs args = eval_args(e.args, scope);
      const bool r = apply_test(*this, e.name, operand, args);
      return Value::boolean(e.negate ? !r : r);
    }
    case ExprKind::Ternary: return eval(*e.a, scope).truthy() ? eval(*e.b, scope) : eval(*e.c, scope);
    case ExprKind::Select: return eval(*e.a, scope).truthy() ? eval(*e.b, scope) : Value();
  }
  return Value();
}

Value Interpreter::eval_call(const Expr& e, const ScopePtr& scope) {
  CallArgs args = eval_args(e.args, scope);
  const Expr& callee = *e.a;
  if (callee.kind == ExprKind::Attribute) {
    // Method call: call the built-in directly instead of building a bound function.
    const Value object = eval(*callee.a, scope);
    const bool own_key = object.is_object_or_namespace() && object.as_object().find(callee.name);
    Value result;
    if (!own_key && call_builtin_method(*this, object, callee.name, args, result)) return result;
    const Value fn = member(object, Value::string(callee.name));
    if (!fn.is_function())
      eval_fail("'{}' is not a method of {} (it is {})", callee.name, object.type_name(), fn.type_name());
    return call(fn, args, scope);
  }
  const Value fn = eval(callee, scope);
  if (!fn.is_function()) {
    if (callee.kind == ExprKind::Name) eval_fail("'{}' is not a function (it is {})", callee.name, fn.type_name());
    eval_fail("cannot call a value of type {}", fn.type_name());
  }
  return call(fn, args, scope);
}

namespace {

// Python slicing with the reference's clamping rules.
std::vector<size_t> slice_indices(int64_t n, const Value& start_v, const Value& stop_v, const Value& step_v) {
  const int64_t step = step_v.is_undefined() ? 1 : step_v.as_int();
  if (step == 0) eval_fail("slice step cannot be zero");
  std::vector<size_t> out;
  if (step > 0) {
    int64_t start = start_v.is_undefined() ? 0 : start_v.as_int();
    int64_t stop = stop_v.is_undefined() ? n : stop_v.as_int();
    start = start < 0 ? std::max<int64_t>(n + start, 0) : std::min(start, n);
    stop = stop < 0 ? std::max<int64_t>(n + stop, 0) : std::min(stop, n);
    for (int64_t i = start; i < stop; i += step) out.push_back(static_cast<size_t>(i));
  } else {
    int64_t start = start_v.is_undefined() ? n - 1 : start_v.as_int();
    int64_t stop = stop_v.is_undefined() ? -1 : stop_v.as_int();
    start = start < 0 ? std::max<int64_t>(n + start, -1) : std::min(start, n - 1);
    stop = stop < -1 ? std::max<int64_t>(n + stop, -1) : std::min(stop, n - 1);
    for (int64_t i = start; i > stop; i += step) out.push_back(static_cast<size_t>(i));
  }
  return out;
}

}  // namespace

Value Interpreter::eval_slice(const Expr& e, const ScopePtr& scope) {
  const Value object = eval(*e.a, scope);
  if (!object.is_array() && !object.is_string()) eval_fail("cannot slice a value of type {}", object.type_name());
  Value parts[3];
  const Expr* exprs[3] = {e.b.get(), e.c.get(), e.d.get()};
  for (int i = 0; i < 3; ++i) {
    if (exprs[i]) parts[i] = eval(*exprs[i], scope);
    if (!parts[i].is_undefined() && !parts[i].is_int())
      eval_fail("slice indices must be integers, got {}", parts[i].type_name());
  }
  if (object.is_array()) {
    const auto& items = object.as_array();
    ValueList out;
    for (size_t i : slice_indices(static_cast<int64_t>(items.size()), parts[0], parts[1], parts[2]))
      out.push_back(items[i]);
    return Value::array(std::move(out));
  }
  const auto cps = text::split_code_points(object.as_string());
  std::string out;
  for (size_t i : slice_indices(static_cast<int64_t>(cps.size()), parts[0], parts[1], parts[2])) out.append(cps[i]);
  return Value::string(std::move(out));
}

}  // namespace hearth::chat::jinja

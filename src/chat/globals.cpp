// Global names every template sees: the constants, namespace(), range(), raise_exception()
// and strftime_now() as transformers provides them, plus Jinja's dict().
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <iterator>

#include "chat/errors.h"
#include "chat/interpreter.h"

namespace hearth::chat::jinja {

namespace {

void namespace_entry(Object& ns, const Value& pair) {
  if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string())
    eval_fail("namespace() expects an object or a list of [key, value] pairs");
  ns.set(pair.as_array()[0].as_string(), pair.as_array()[1]);
}

Value make_namespace(Interpreter& in, const ScopePtr&, CallArgs& args) {
  if (args.positional.size() > 1) eval_fail("namespace() takes at most 1 positional argument, got {}", args.positional.size());
  Value ns = Value::namespace_object();
  Object& o = ns.as_object();
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is_object()) {
      for (const auto& [k, v] : src.as_object().entries()) o.set(k, v);
    } else if (src.is_array()) {
      for (const Value& pair : src.as_array()) namespace_entry(o, pair);
    } else {
      eval_fail("namespace() cannot be built from a {}", src.type_name());
    }
  }
  for (const auto& [k, v] : args.keyword) o.set(k, v);
  in.track_mutable(ns);
  return ns;
}

int64_t range_arg(const Value& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  eval_fail("range() arguments must be integers, got {}", v.type_name());
}

Value range(Interpreter&, const ScopePtr&, CallArgs& args) {
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) eval_fail("range() takes 1 to 3 arguments, got {}", p.size());
  int64_t start = 0, stop = 0, step = 1;
  if (p.size() == 1) {
    stop = range_arg(p[0]);
  } else {
    start = range_arg(p[0]);
    stop = range_arg(p[1]);
    if (p.size() == 3) step = range_arg(p[2]);
  }
  if (step == 0) eval_fail("range() step must not be zero");
  ValueList out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (out.size() >= kMaxListLength) eval_fail("range() longer than {} items", kMaxListLength);
    out.push_back(Value::integer(i));
    if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step)) break;
  }
  return Value::array(std::move(out));
}

Value raise_exception(Interpreter&, const ScopePtr&, CallArgs& args) {
  std::string message;
  if (!args.positional.empty()) {
    const Value& m = args.positional[0];
    message = m.is_string() ? m.as_string() : m.is_undefined() ? "" : to_display(m);
  }
  throw TemplateRaised(message);
}

Value strftime_now(Interpreter& in, const ScopePtr&, CallArgs& args) {
  if (args.positional.empty() || !args.positional[0].is_string()) eval_fail("strftime_now() needs a format string");
  std::tm tm{};
  if (in.settings().now) {
    tm = in.settings().now();
  } else {
    const std::time_t t = std::time(nullptr);
    localtime_r(&t, &tm);
  }
  return Value::string(format_time(args.positional[0].as_string(), tm));
}

Value dict(Interpreter&, const ScopePtr&, CallArgs& args) {
  Value obj = Value::object();
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is_object()) {
      for (const auto& [k, v] : src.as_object().entries()) obj.as_object().set(k, v);
    } else if (src.is_array()) {
      for (const Value& pair : src.as_array()) namespace_entry(obj.as_object(), pair);
    } else {
      eval_fail("dict() cannot be built from a {}", src.type_name());
    }
  }
  for (const auto& [k, v] : args.keyword) obj.as_object().set(k, v);
  return obj;
}

constexpr std::array<std::string_view, 12> kMonths{"January", "February", "March",     "April",   "May",      "June",
                                                   "July",    "August",   "September", "October", "November", "December"};

}  // namespace

std::string format_time(std::string_view fmt_str, const std::tm& tm) {
  std::string out;
  const auto month = static_cast<size_t>(std::clamp(tm.tm_mon, 0, 11));
  auto append = [&out](std::string_view s) { out.append(s.data(), s.size()); };
  for (size_t i = 0; i < fmt_str.size(); ++i) {
    if (fmt_str[i] != '%' || i + 1 >= fmt_str.size()) {
      out += fmt_str[i];
      continue;
    }
    switch (fmt_str[i + 1]) {
      case 'Y': fmt::format_to(std::back_inserter(out), "{}", tm.tm_year + 1900); break;
      case 'm': fmt::format_to(std::back_inserter(out), "{:02}", tm.tm_mon + 1); break;
      case 'd': fmt::format_to(std::back_inserter(out), "{:02}", tm.tm_mday); break;
      case 'H': fmt::format_to(std::back_inserter(out), "{:02}", tm.tm_hour); break;
      case 'M': fmt::format_to(std::back_inserter(out), "{:02}", tm.tm_min); break;
      case 'b': append(kMonths[month].substr(0, 3)); break;
      case 'B': append(kMonths[month]); break;
      case '%': out += '%'; break;
      default:
        out += '%';
        continue;  // unknown directive: kept as written
    }
    ++i;
  }
  return out;
}

ScopePtr make_global_scope() {
  auto g = std::make_shared<Scope>();
  g->set("true", Value::boolean(true));
  g->set("false", Value::boolean(false));
  g->set("none", Value::null());
  g->set("True", Value::boolean(true));
  g->set("False", Value::boolean(false));
  g->set("None", Value::null());
  g->set("namespace", Value::function("namespace", make_namespace));
  g->set("range", Value::function("range", range));
  g->set("raise_exception", Value::function("raise_exception", raise_exception));
  g->set("strftime_now", Value::function("strftime_now", strftime_now));
  g->set("dict", Value::function("dict", dict));
  return g;
}

}  // namespace hearth::chat::jinja

// Tests (`value is name(args)`). The reference's tests take no arguments; divisibleby, the
// comparison tests, `in` and `sameas` follow Jinja.
#include <cmath>

#include "chat/errors.h"
#include "chat/interpreter.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

namespace {

const Value& arg0(const CallArgs& args, std::string_view test) {
  if (args.positional.empty()) {
    if (!args.keyword.empty()) return args.keyword.front().second;
    eval_fail("test '{}' needs an argument", test);
  }
  return args.positional.front();
}

int compare_for_test(const Value& a, const Value& b, std::string_view test) {
  if (a.is_number() && b.is_number()) {
    const double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string() ? -1 : a.as_string() == b.as_string() ? 0 : 1;
  eval_fail("test '{}' cannot compare {} with {}", test, a.type_name(), b.type_name());
}

}  // namespace

bool apply_test(Interpreter& in, std::string_view name, const Value& v, CallArgs& args) {
  (void)in;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_null();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "iterable") return v.is_array() || v.is_string();
  if (name == "mapping") return v.is_object();
  if (name == "sequence") return v.is_array() || v.is_object() || v.is_string();
  if (name == "callable") return v.is_function();
  if (name == "lower") return v.is_string() && v.as_string() == text::to_lower(v.as_string());
  if (name == "upper") return v.is_string() && v.as_string() == text::to_upper(v.as_string());
  if (name == "odd" || name == "even") {
    if (!v.is_int()) eval_fail("test '{}' needs an integer, got {}", name, v.type_name());
    return (v.as_int() % 2 != 0) == (name == "odd");
  }
  if (name == "escaped") return false;
  if (name == "equalto" || name == "eq" || name == "==") {
    if (args.positional.empty() && args.keyword.empty()) return v.is_undefined();  // as the reference
    return strict_equals(v, arg0(args, name));
  }
  if (name == "ne" || name == "!=") return !strict_equals(v, arg0(args, name));
  if (name == "sameas") {
    const Value& o = arg0(args, name);
    return v.identity() ? v.identity() == o.identity() : strict_equals(v, o) && v.kind() == o.kind();
  }
  if (name == "divisibleby") {
    const Value& d = arg0(args, name);
    if (!v.is_number() || !d.is_number()) eval_fail("test 'divisibleby' needs numbers");
    if (v.is_int() && d.is_int()) return d.as_int() != 0 && (d.as_int() == -1 || v.as_int() % d.as_int() == 0);
    return d.as_double() != 0 && std::fmod(v.as_double(), d.as_double()) == 0;
  }
  if (name == "lt" || name == "<" || name == "lessthan") return compare_for_test(v, arg0(args, name), name) < 0;
  if (name == "le" || name == "<=") return compare_for_test(v, arg0(args, name), name) <= 0;
  if (name == "gt" || name == ">" || name == "greaterthan") return compare_for_test(v, arg0(args, name), name) > 0;
  if (name == "ge" || name == ">=") return compare_for_test(v, arg0(args, name), name) >= 0;
  if (name == "in") {
    const Value& c = arg0(args, name);
    if (c.is_array()) {
      for (const Value& item : c.as_array())
        if (strict_equals(item, v)) return true;
      return false;
    }
    if (c.is_string() && v.is_string()) return c.as_string().find(v.as_string()) != std::string::npos;
    if (c.is_object() && v.is_string()) return c.as_object().find(v.as_string()) != nullptr;
    eval_fail("test 'in' cannot look for a {} in a {}", v.type_name(), c.type_name());
  }
  eval_fail("unknown test '{}'", name);
}

}  // namespace hearth::chat::jinja

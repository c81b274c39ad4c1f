// Binary operators with the reference renderer's semantics: `==` is JavaScript's loose
// equality, `+` concatenates when either side is a string, arithmetic keeps integers integral
// except `/`, and operations on undefined or none are errors (except `x in undefined`).
#include <cmath>
#include <limits>

#include "chat/errors.h"
#include "chat/interpreter.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

namespace {

Value arithmetic(const std::string& op, const Value& l, const Value& r) {
  const bool any_float = l.is_float() || r.is_float();
  if (!any_float) {
    const int64_t a = l.as_int(), b = r.as_int();
    int64_t res = 0;
    if (op == "+" && !__builtin_add_overflow(a, b, &res)) return Value::integer(res);
    if (op == "-" && !__builtin_sub_overflow(a, b, &res)) return Value::integer(res);
    if (op == "*" && !__builtin_mul_overflow(a, b, &res)) return Value::integer(res);
    if (op == "//") {
      if (b == 0) eval_fail("integer division by zero");
      if (a == INT64_MIN && b == -1) return Value::number(-static_cast<double>(a));
      int64_t q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return Value::integer(q);
    }
    if (op == "%") {
      if (b == 0) eval_fail("integer modulo by zero");
      if (b == -1) return Value::integer(0);
      return Value::integer(a % b);  // sign of the dividend, as JavaScript's %
    }
    if (op != "/" && op != "<" && op != ">" && op != "<=" && op != ">=") {
      // Integer overflow: fall through to floating point, as JavaScript numbers would.
    } else if (op != "/") {
      return Value::boolean(op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b);
    }
  }
  const double a = l.as_double(), b = r.as_double();
  if (op == "+") return Value::number(a + b);
  if (op == "-") return Value::number(a - b);
  if (op == "*") return Value::number(a * b);
  if (op == "/") {
    if (b == 0) eval_fail("division by zero");
    return Value::number(a / b);
  }
  if (op == "//") {
    if (b == 0) eval_fail("division by zero");
    return Value::number(std::floor(a / b));
  }
  if (op == "%") {
    if (b == 0) eval_fail("modulo by zero");
    return Value::number(std::fmod(a, b));
  }
  if (op == "<") return Value::boolean(a < b);
  if (op == ">") return Value::boolean(a > b);
  if (op == "<=") return Value::boolean(a <= b);
  if (op == ">=") return Value::boolean(a >= b);
  eval_fail("unknown operator '{}' between numbers", op);
}

Value power(const Value& l, const Value& r) {
  const double a = l.as_double(), b = r.as_double();
  if (a == 0 && b < 0) eval_fail("0 cannot be raised to a negative power");
  const double res = std::pow(a, b);
  if (!std::isfinite(res)) eval_fail("exponentiation result is not a finite real number");
  const bool as_float = l.is_float() || r.is_float() || b < 0;
  if (!as_float && std::fabs(res) < 9.2e18) {
    // Exact integer power by repeated multiplication when it fits.
    int64_t base = l.is_int() ? l.as_int() : (l.as_bool() ? 1 : 0);
    int64_t exp = r.is_int() ? r.as_int() : (r.as_bool() ? 1 : 0);
    int64_t acc = 1;
    bool overflow = false;
    while (exp > 0 && !overflow) {
      if (exp & 1) overflow |= __builtin_mul_overflow(acc, base, &acc);
      exp >>= 1;
      if (exp > 0) overflow |= __builtin_mul_overflow(base, base, &base);
    }
    if (!overflow) return Value::integer(acc);
  }
  return Value::number(res);
}

bool array_contains(const ValueList& items, const Value& needle) {
  for (const Value& v : items)
    if (strict_equals(v, needle)) return true;
  return false;
}

}  // namespace

Value Interpreter::eval_binary(const Expr& e, const ScopePtr& scope) {
  const std::string& op = e.name;
  const Value left = eval(*e.a, scope);
  if (op == "and") return left.truthy() ? eval(*e.b, scope) : left;
  if (op == "or") return left.truthy() ? left : eval(*e.b, scope);

  const Value right = eval(*e.b, scope);
  if (op == "==") return Value::boolean(loose_equals(left, right));
  if (op == "!=") return Value::boolean(!loose_equals(left, right));

  const bool membership = op == "in" || op == "not in";
  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && membership) return Value::boolean(op == "not in");
    eval_fail("cannot apply '{}' to an undefined value", op);
  }
  if (left.is_null() || right.is_null()) eval_fail("cannot apply '{}' to none", op);

  if (op == "~") {
    std::string s = to_js_string(left);
    s += to_js_string(right);
    check_size(s.size());
    return Value::string(std::move(s));
  }
  if (op == "**" && left.is_numeric_like() && right.is_numeric_like()) return power(left, right);
  if (left.is_number() && right.is_number()) {
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "//" || op == "%" || op == "<" || op == ">" ||
        op == "<=" || op == ">=")
      return arithmetic(op, left, right);
  } else if (left.is_array() && right.is_array()) {
    if (op == "+") {
      const auto& a = left.as_array();
      const auto& b = right.as_array();
      if (a.size() + b.size() > kMaxListLength) eval_fail("list longer than {} items", kMaxListLength);
      ValueList out;
      out.reserve(a.size() + b.size());
      out.insert(out.end(), a.begin(), a.end());
      out.insert(out.end(), b.begin(), b.end());
      return Value::array(std::move(out));
    }
  } else if (right.is_array()) {
    if (membership) return Value::boolean(array_contains(right.as_array(), left) == (op == "in"));
  }

  if (op == "+" && (left.is_string() || right.is_string())) {
    std::string s = to_js_string(left);
    s += to_js_string(right);
    check_size(s.size());
    return Value::string(std::move(s));
  }
  if (left.is_string() && right.is_string()) {
    if (membership) {
      const bool found = right.as_string().find(left.as_string()) != std::string::npos;
      return Value::boolean(found == (op == "in"));
    }
    // Not in the reference (which rejects these): Python's string comparisons.
    const int c = left.as_string().compare(right.as_string());
    if (op == "<") return Value::boolean(c < 0);
    if (op == ">") return Value::boolean(c > 0);
    if (op == "<=") return Value::boolean(c <= 0);
    if (op == ">=") return Value::boolean(c >= 0);
  }
  if (left.is_string() && right.is_object() && membership)
    return Value::boolean((right.as_object().find(left.as_string()) != nullptr) == (op == "in"));
  // Not in the reference: Python's string and list repetition.
  if (op == "*" && ((left.is_string() && right.is_int()) || (left.is_int() && right.is_string()))) {
    const std::string& s = left.is_string() ? left.as_string() : right.as_string();
    const int64_t n = left.is_int() ? left.as_int() : right.as_int();
    if (n <= 0 || s.empty()) return Value::string("");
    if (static_cast<uint64_t>(n) > settings_.max_output_bytes / s.size()) check_size(SIZE_MAX);
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value::string(std::move(out));
  }
  eval_fail("unsupported operator '{}' between {} and {}", op, left.type_name(), right.type_name());
}

}  // namespace hearth::chat::jinja

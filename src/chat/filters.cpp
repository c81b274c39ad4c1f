// Filters (`value | name(args)`). Filters the reference renderer implements behave as there
// (e.g. `int` floors floats, `tojson` prints like JSON.stringify with Python's separators);
// filters it lacks (round, select, batch, sum, ...) follow Jinja.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "chat/errors.h"
#include "chat/interpreter.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

namespace {

[[noreturn]] void bad_operand(std::string_view filter, const Value& v) {
  eval_fail("filter '{}' cannot be applied to a value of type {}", filter, v.type_name());
}

bool bool_arg(const CallArgs& args, size_t i, std::string_view name, bool fallback) {
  const Value* v = args.get(i, name);
  if (!v) return fallback;
  if (!v->is_bool()) eval_fail("argument '{}' must be a boolean, got {}", name, v->type_name());
  return v->as_bool();
}

// Dotted attribute path ("a.b.0") into objects and lists; undefined when missing.
Value attribute_path(const Value& item, std::string_view path) {
  Value cur = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string_view part = path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
    if (cur.is_object_or_namespace()) {
      const Value* v = cur.as_object().find(part);
      if (!v) return Value();
      cur = *v;
    } else if (cur.is_array()) {
      size_t idx = 0;
      const auto res = std::from_chars(part.data(), part.data() + part.size(), idx);
      if (res.ec != std::errc() || idx >= cur.as_array().size()) return Value();
      cur = cur.as_array()[idx];
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

std::string attribute_arg(const CallArgs& args, size_t i) {
  const Value* a = args.get(i, "attribute");
  if (!a || a->is_null()) return {};
  if (a->is_int()) return std::to_string(a->as_int());
  if (!a->is_string()) eval_fail("'attribute' must be a string or an integer");
  return a->as_string();
}

const ValueList& list_operand(std::string_view filter, const Value& v) {
  if (!v.is_array()) bad_operand(filter, v);
  return v.as_array();
}

// The text `join` uses for an item: JavaScript's Array.join (none/undefined become "").
std::string join_piece(const Value& v) { return v.is_none_or_undefined() ? std::string() : to_js_string(v); }

std::string unique_key(const Value& v) {
  std::string key;
  if (v.is_number() || v.is_string()) {
    key += v.is_number() ? 'n' : 's';
    key += v.is_number() ? text::js_number(v.as_double()) : v.as_string();
    return key;
  }
  if (v.is_bool()) return v.as_bool() ? "t" : "f";
  if (v.is_null()) return "z";
  if (v.is_undefined()) return "u";
  return fmt::format("p{}", v.identity());
}

Value to_int(const Value& v, const CallArgs& args) {
  const Value* fallback = args.get(0, "default");
  if (v.is_string()) {
    const auto n = text::js_parse_int(v.as_string());
    if (!n) return fallback ? *fallback : Value::integer(0);
    if (std::fabs(*n) < 9.2e18) return Value::integer(static_cast<int64_t>(*n));
    return Value::number(*n);
  }
  if (v.is_int()) return v;
  if (v.is_float()) {
    const double f = std::floor(v.as_float());  // the reference floors (Python truncates)
    return std::isfinite(f) && std::fabs(f) < 9.2e18 ? Value::integer(static_cast<int64_t>(f)) : Value::number(f);
  }
  if (v.is_bool()) return Value::integer(v.as_bool() ? 1 : 0);
  bad_operand("int", v);
}

Value to_float(const Value& v, const CallArgs& args) {
  const Value* fallback = args.get(0, "default");
  if (v.is_string()) {
    const auto n = text::js_parse_float(v.as_string());
    return n ? Value::number(*n) : (fallback ? *fallback : Value::number(0.0));
  }
  if (v.is_numeric_like()) return Value::number(v.as_double());
  bad_operand("float", v);
}

Value tojson(const Value& v, const CallArgs& args) {
  JsonOptions o;
  if (const Value* indent = args.get(0, "indent")) {
    if (indent->is_int()) {
      o.indent = static_cast<int>(std::clamp<int64_t>(indent->as_int(), 0, 64));
    } else if (!indent->is_null()) {
      eval_fail("tojson indent must be an integer or none");
    }
  }
  o.ensure_ascii = bool_arg(args, SIZE_MAX, "ensure_ascii", false);
  o.sort_keys = bool_arg(args, SIZE_MAX, "sort_keys", false);
  if (const Value* seps = args.keyword_arg("separators"); seps && !seps->is_null()) {
    if (!seps->is_array() || seps->as_array().size() != 2 || !seps->as_array()[0].is_string() ||
        !seps->as_array()[1].is_string())
      eval_fail("tojson separators must be a pair of strings");
    o.has_separators = true;
    o.item_separator = seps->as_array()[0].as_string();
    o.key_separator = seps->as_array()[1].as_string();
  }
  return Value::string(to_json(v, o));
}

Value indent(const std::string& s, const CallArgs& args) {
  std::string pad(4, ' ');
  if (const Value* w = args.get(0, "width")) {
    if (w->is_int()) {
      pad.assign(static_cast<size_t>(std::clamp<int64_t>(w->as_int(), 0, 1024)), ' ');
    } else if (w->is_string()) {
      pad = w->as_string();
    } else {
      eval_fail("indent width must be an integer or a string");
    }
  }
  const Value* first_v = args.get(1, "first");
  const Value* blank_v = args.get(2, "blank");
  const bool first = first_v && first_v->truthy(), blank = blank_v && blank_v->truthy();
  std::string out;
  size_t start = 0, line = 0;
  while (true) {
    const size_t nl = s.find('\n', start);
    const std::string_view piece = std::string_view(s).substr(start, nl == std::string::npos ? s.npos : nl - start);
    if (!((line == 0 && !first) || (piece.empty() && !blank))) out += pad;
    out += piece;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    ++line;
  }
  return Value::string(std::move(out));
}

Value sort(const Value& operand, const CallArgs& args) {
  ValueList items = list_operand("sort", operand);
  const bool reverse = bool_arg(args, 0, "reverse", false);
  const bool case_sensitive = bool_arg(args, 1, "case_sensitive", false);
  const std::string attr = attribute_arg(args, 2);
  auto key = [&](const Value& v) { return attr.empty() ? v : attribute_path(v, attr); };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(key(a), key(b), case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return Value::array(std::move(items));
}

// select/reject (test on the item) and selectattr/rejectattr (test on an attribute).
Value select_items(Interpreter& in, std::string_view filter, const Value& operand, CallArgs& args) {
  const bool by_attr = filter.ends_with("attr");
  const bool keep = filter.starts_with("select");
  const ValueList& items = list_operand(filter, operand);
  std::string attr;
  size_t next = 0;
  if (by_attr) {
    const Value* a = args.get(0, "attribute");
    if (!a || !a->is_string()) eval_fail("{}() needs an attribute name", filter);
    attr = a->as_string();
    next = 1;
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) eval_fail("{}() test name must be a string", filter);
    test = args.positional[next].as_string();
  }
  CallArgs test_args;
  for (size_t i = next + 1; i < args.positional.size(); ++i) test_args.positional.push_back(args.positional[i]);
  ValueList out;
  for (const Value& item : items) {
    bool result = false;
    if (by_attr) {
      if (!item.is_object_or_namespace()) eval_fail("{}() can only be applied to a list of objects", filter);
      const Value* a = item.as_object().find(attr);
      if (a) {
        CallArgs copy = test_args;
        result = test.empty() ? a->truthy() : apply_test(in, test, *a, copy);
      }
    } else {
      CallArgs copy = test_args;
      result = test.empty() ? item.truthy() : apply_test(in, test, item, copy);
    }
    if (result == keep) out.push_back(item);
  }
  return Value::array(std::move(out));
}

Value map_items(Interpreter& in, const Value& operand, CallArgs& args, const ScopePtr& scope) {
  const ValueList& items = list_operand("map", operand);
  ValueList out;
  if (const Value* attr = args.keyword_arg("attribute")) {
    if (!attr->is_string()) eval_fail("map() attribute must be a string");
    const Value* fallback = args.keyword_arg("default");
    for (const Value& item : items) {
      if (!item.is_object_or_namespace()) eval_fail("map(attribute=...) items must be objects, got {}", item.type_name());
      Value v = attribute_path(item, attr->as_string());
      out.push_back(v.is_undefined() && fallback ? *fallback : std::move(v));
    }
    return Value::array(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) eval_fail("map() needs a filter name or attribute=");
  const std::string filter = args.positional[0].as_string();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : items) {
    CallArgs copy = rest;
    out.push_back(apply_filter(in, filter, item, copy, scope));
  }
  return Value::array(std::move(out));
}

Value round_value(const Value& v, const CallArgs& args) {
  if (!v.is_numeric_like()) bad_operand("round", v);
  const Value* p = args.get(0, "precision");
  const Value* m = args.get(1, "method");
  const int64_t precision = p && p->is_int() ? std::clamp<int64_t>(p->as_int(), -300, 300) : 0;
  const std::string method = m && m->is_string() ? m->as_string() : "common";
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_double() * scale;
  double r;
  if (method == "common") {
    r = std::round(x);
  } else if (method == "floor") {
    r = std::floor(x);
  } else if (method == "ceil") {
    r = std::ceil(x);
  } else {
    eval_fail("round() method must be 'common', 'floor' or 'ceil'");
  }
  return Value::number(r / scale);
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Value min_max(const Value& operand, const CallArgs& args, bool want_max) {
  const ValueList& items = list_operand(want_max ? "max" : "min", operand);
  if (items.empty()) return Value();
  const bool case_sensitive = bool_arg(args, 0, "case_sensitive", false);
  const std::string attr = attribute_arg(args, 1);
  auto key = [&](const Value& v) { return attr.empty() ? v : attribute_path(v, attr); };
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const int c = compare_values(key(items[i]), key(items[best]), case_sensitive);
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

}  // namespace

Value apply_filter(Interpreter& in, std::string_view name, const Value& operand, CallArgs& args,
                   const ScopePtr& scope) {
  if (name == "safe") return operand;
  if (name == "tojson") return tojson(operand, args);
  if (name == "default" || name == "d") {
    const Value* fallback = args.get(0, "default_value");
    if (operand.is_undefined() || (bool_arg(args, 1, "boolean", false) && !operand.truthy()))
      return fallback ? *fallback : Value::string("");
    return operand;
  }
  if (name == "join") {
    const Value* sep_v = args.get(0, "d");
    if (!sep_v) sep_v = args.keyword_arg("separator");
    if (sep_v && !sep_v->is_string()) eval_fail("join separator must be a string");
    const std::string sep = sep_v ? sep_v->as_string() : "";
    const std::string attr = attribute_arg(args, 1);
    std::string out;
    if (operand.is_string()) {
      const auto cps = text::split_code_points(operand.as_string());
      for (size_t i = 0; i < cps.size(); ++i) {
        if (i > 0) out += sep;
        out += cps[i];
        in.check_size(out.size());
      }
      return Value::string(std::move(out));
    }
    const ValueList& items = list_operand(name, operand);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += sep;
      out += join_piece(attr.empty() ? items[i] : attribute_path(items[i], attr));
      in.check_size(out.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "int") return to_int(operand, args);
  if (name == "float") return to_float(operand, args);
  if (name == "length" || name == "count") {
    if (operand.is_string()) return Value::integer(static_cast<int64_t>(text::utf16_length(operand.as_string())));
    if (operand.is_array()) return Value::integer(static_cast<int64_t>(operand.as_array().size()));
    if (operand.is_object_or_namespace()) return Value::integer(static_cast<int64_t>(operand.as_object().size()));
    bad_operand(name, operand);
  }
  if (name == "list") {
    if (operand.is_array()) return operand;
    ValueList out;
    if (operand.is_string()) {
      for (auto cp : text::split_code_points(operand.as_string())) out.push_back(Value::string(std::string(cp)));
    } else if (operand.is_object()) {
      for (const auto& [k, v] : operand.as_object().entries()) out.push_back(Value::string(k));
    } else {
      bad_operand(name, operand);
    }
    return Value::array(std::move(out));
  }
  if (name == "first" || name == "last") {
    if (operand.is_string()) {
      const auto cps = text::split_code_points(operand.as_string());
      if (cps.empty()) return Value();
      return Value::string(std::string(name == "first" ? cps.front() : cps.back()));
    }
    const ValueList& items = list_operand(name, operand);
    if (items.empty()) return Value();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (operand.is_string()) {
      auto cps = text::split_code_points(operand.as_string());
      std::string out;
      for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
      return Value::string(std::move(out));
    }
    ValueList items = list_operand(name, operand);
    std::reverse(items.begin(), items.end());
    return Value::array(std::move(items));
  }
  if (name == "sort") return sort(operand, args);
  if (name == "unique") {
    std::unordered_set<std::string> seen;
    ValueList out;
    for (const Value& v : list_operand(name, operand))
      if (seen.insert(unique_key(v)).second) out.push_back(v);
    return Value::array(std::move(out));
  }
  if (name == "string") {
    if (operand.is_undefined()) return Value::string("");
    if (operand.is_null()) return Value::string("None");
    return Value::string(to_display(operand));
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" || name == "trim") {
    if (!operand.is_string()) bad_operand(name, operand);
    const std::string& s = operand.as_string();
    if (name == "upper") return Value::string(text::to_upper(s));
    if (name == "lower") return Value::string(text::to_lower(s));
    if (name == "title") return Value::string(text::title_js(s));
    if (name == "capitalize") return Value::string(text::capitalize_js(s));
    const Value* chars = args.get(0, "chars");
    if (chars && chars->is_string()) return Value::string(std::string(text::trim_chars(s, chars->as_string(), true, true)));
    return Value::string(std::string(text::trim_js(s)));
  }
  if (name == "indent") {
    if (!operand.is_string()) bad_operand(name, operand);
    return indent(operand.as_string(), args);
  }
  if (name == "replace") {
    if (!operand.is_string()) bad_operand(name, operand);
    Value r;
    call_builtin_method(in, operand, "replace", args, r);
    return r;
  }
  if (name == "abs") {
    if (operand.is_int()) {
      if (operand.as_int() == INT64_MIN) return Value::number(-static_cast<double>(INT64_MIN));
      return Value::integer(std::llabs(operand.as_int()));
    }
    if (operand.is_float()) return Value::number(std::fabs(operand.as_float()));
    bad_operand(name, operand);
  }
  if (name == "round") return round_value(operand, args);
  if (name == "bool") {
    if (!operand.is_bool()) bad_operand(name, operand);
    return operand;
  }
  if (name == "items" || name == "dictsort" || name == "keys" || name == "values" || name == "get") {
    if (operand.is_namespace() && name == "items") {
      ValueList out;
      for (const auto& [k, v] : operand.as_object().entries()) out.push_back(Value::array({Value::string(k), v}));
      return Value::array(std::move(out));
    }
    Value r;
    if (!operand.is_object() || !call_builtin_method(in, operand, name, args, r)) bad_operand(name, operand);
    return r;
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject")
    return select_items(in, name, operand, args);
  if (name == "map") return map_items(in, operand, args, scope);
  if (name == "escape" || name == "e" || name == "forceescape") {
    if (operand.is_none_or_undefined()) return Value::string("");
    return Value::string(html_escape(operand.is_string() ? operand.as_string() : to_display(operand)));
  }
  if (name == "attr") {
    const Value* attr = args.get(0, "name");
    if (!attr || !attr->is_string()) eval_fail("attr() needs a name");
    if (operand.is_object_or_namespace())
      if (const Value* v = operand.as_object().find(attr->as_string())) return *v;
    return builtin_member(operand, attr->as_string()).value_or(Value());
  }
  if (name == "batch") {
    const ValueList& items = list_operand(name, operand);
    const Value* size_v = args.get(0, "linecount");
    if (!size_v || !size_v->is_int() || size_v->as_int() <= 0) eval_fail("batch() needs a positive size");
    const auto size = static_cast<size_t>(std::min<int64_t>(size_v->as_int(), kMaxListLength));
    const Value* fill = args.get(1, "fill_with");
    ValueList out, cur;
    for (const Value& v : items) {
      cur.push_back(v);
      if (cur.size() == size) out.push_back(Value::array(std::exchange(cur, {})));
    }
    if (!cur.empty()) {
      while (fill && !fill->is_null() && cur.size() < size) cur.push_back(*fill);
      out.push_back(Value::array(std::move(cur)));
    }
    return Value::array(std::move(out));
  }
  if (name == "sum") {
    const std::string attr = attribute_arg(args, 0);
    const Value* start = args.get(1, "start");
    bool is_float = start && start->is_float();
    double fsum = start ? start->as_double() : 0;
    int64_t isum = start && start->is_int() ? start->as_int() : 0;
    for (const Value& item : list_operand(name, operand)) {
      const Value v = attr.empty() ? item : attribute_path(item, attr);
      if (!v.is_numeric_like()) eval_fail("sum() items must be numbers, got {}", v.type_name());
      const int64_t as_int = v.is_int() ? v.as_int() : (v.is_bool() && v.as_bool() ? 1 : 0);
      is_float = is_float || v.is_float() || __builtin_add_overflow(isum, as_int, &isum);
      fsum += v.as_double();
    }
    return is_float ? Value::number(fsum) : Value::integer(isum);
  }
  if (name == "min" || name == "max") return min_max(operand, args, name == "max");
  eval_fail("unknown filter '{}'", name);
}

}  // namespace hearth::chat::jinja

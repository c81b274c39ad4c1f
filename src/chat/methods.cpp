// Methods of built-in types: str.strip(), str.split(), dict.items(), dict.get(), ... The
// reference's string methods come first; the rest (find, count, join, format, list.append)
// follow Python.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "chat/errors.h"
#include "chat/interpreter.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

namespace {

constexpr std::array<std::string_view, 27> kStringMethods{
    "upper",   "lower",       "strip",        "lstrip",   "rstrip",  "title",   "capitalize",
    "split",   "startswith",  "endswith",     "replace",  "find",    "rfind",   "count",
    "join",    "format",      "splitlines",   "isdigit",  "isspace", "isalpha", "isalnum",
    "islower", "isupper",     "removeprefix", "removesuffix", "index", "zfill"};
constexpr std::array<std::string_view, 4> kListMethods{"append", "pop", "index", "count"};
constexpr std::array<std::string_view, 5> kObjectMethods{"get", "items", "keys", "values", "dictsort"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::string& string_arg(const CallArgs& args, size_t i, std::string_view name, std::string_view method) {
  const Value* v = args.get(i, name);
  if (!v) eval_fail("{}() is missing its '{}' argument", method, name);
  if (!v->is_string()) eval_fail("{}() argument '{}' must be a string, got {}", method, name, v->type_name());
  return v->as_string();
}

bool prefix_match(const std::string& s, const Value& pattern, bool at_start, std::string_view method) {
  auto test = [&](const std::string& p) { return at_start ? s.starts_with(p) : s.ends_with(p); };
  if (pattern.is_string()) return test(pattern.as_string());
  if (pattern.is_array()) {
    for (const Value& item : pattern.as_array()) {
      if (!item.is_string()) eval_fail("{}() tuple elements must be strings", method);
      if (test(item.as_string())) return true;
    }
    return false;
  }
  eval_fail("{}() argument must be a string or a tuple of strings", method);
}

Value split(const std::string& s, const CallArgs& args) {
  const Value* sep = args.get(0, "sep");
  const Value* maxsplit_v = args.get(1, "maxsplit");
  if (sep && !sep->is_string() && !sep->is_null()) eval_fail("split() separator must be a string or none");
  if (maxsplit_v && !maxsplit_v->is_int()) eval_fail("split() maxsplit must be an integer");
  const int64_t maxsplit = maxsplit_v ? maxsplit_v->as_int() : -1;
  ValueList out;
  if (!sep || sep->is_null()) {
    const std::string_view t = text::trim_js(s, true, false);
    size_t pos = 0;
    while (pos < t.size()) {
      size_t start = pos;
      while (start < t.size()) {  // skip whitespace
        size_t next = start;
        if (!text::is_js_space(text::next_code_point(t, next))) break;
        start = next;
      }
      if (start >= t.size()) break;
      size_t end = start;
      while (end < t.size()) {
        size_t next = end;
        if (text::is_js_space(text::next_code_point(t, next))) break;
        end = next;
      }
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        out.push_back(Value::string(std::string(t.substr(start))));
        break;
      }
      out.push_back(Value::string(std::string(t.substr(start, end - start))));
      pos = end;
    }
    return Value::array(std::move(out));
  }
  const std::string& d = sep->as_string();
  if (d.empty()) eval_fail("split() separator is empty");
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(d, pos);
    if (hit == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit)) {
      out.push_back(Value::string(s.substr(pos)));
      break;
    }
    out.push_back(Value::string(s.substr(pos, hit - pos)));
    pos = hit + d.size();
  }
  return Value::array(std::move(out));
}

// Python's str.format with {} / {0} / {name} fields (no format specs beyond plain fields).
Value format(const std::string& s, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c == '{' || c == '}') && i + 1 < s.size() && s[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = s.find('}', i);
    if (close == std::string::npos) eval_fail("format(): unmatched '{{'");
    const std::string field = s.substr(i + 1, close - i - 1);
    const Value* v = nullptr;
    if (field.empty()) {
      v = auto_index < args.positional.size() ? &args.positional[auto_index] : nullptr;
      ++auto_index;
    } else if (field.find_first_not_of("0123456789") == std::string::npos) {
      const size_t idx = std::stoul(field);
      v = idx < args.positional.size() ? &args.positional[idx] : nullptr;
    } else {
      v = args.keyword_arg(field);
    }
    if (!v) eval_fail("format(): no value for field '{{{}}}'", field);
    out += v->is_string() ? v->as_string() : to_display(*v);
    i = close;
  }
  return Value::string(std::move(out));
}

template <typename Pred>
Value all_code_points(const std::string& s, Pred pred) {
  if (s.empty()) return Value::boolean(false);
  for (size_t pos = 0; pos < s.size();)
    if (!pred(text::next_code_point(s, pos))) return Value::boolean(false);
  return Value::boolean(true);
}

bool is_alpha_cp(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
}

int64_t find_in(const std::string& s, const std::string& sub, bool reverse) {
  const size_t pos = reverse ? s.rfind(sub) : s.find(sub);
  if (pos == std::string::npos) return -1;
  // Python counts code points, not bytes.
  return static_cast<int64_t>(text::split_code_points(std::string_view(s).substr(0, pos)).size());
}

bool string_method(Interpreter& in, const std::string& s, std::string_view name, CallArgs& args, Value& r) {
  if (name == "upper") return r = Value::string(text::to_upper(s)), true;
  if (name == "lower") return r = Value::string(text::to_lower(s)), true;
  // The reference ignores strip's argument and always strips whitespace; so do we.
  if (name == "strip") return r = Value::string(std::string(text::trim_js(s))), true;
  if (name == "lstrip") return r = Value::string(std::string(text::trim_js(s, true, false))), true;
  if (name == "rstrip") return r = Value::string(std::string(text::trim_js(s, false, true))), true;
  if (name == "title") return r = Value::string(text::title_js(s)), true;
  if (name == "capitalize") return r = Value::string(text::capitalize_js(s)), true;
  if (name == "startswith" || name == "endswith") {
    const Value* p = args.get(0, "prefix");
    if (!p) eval_fail("{}() requires an argument", name);
    return r = Value::boolean(prefix_match(s, *p, name == "startswith", name)), true;
  }
  if (name == "split") return r = split(s, args), true;
  if (name == "replace") {
    const std::string& from = string_arg(args, 0, "old", name);
    const std::string& to = string_arg(args, 1, "new", name);
    const Value* count_v = args.get(2, "count");
    if (count_v && !count_v->is_int() && !count_v->is_null()) eval_fail("replace() count must be an integer");
    int64_t remaining = (count_v && count_v->is_int() && count_v->as_int() >= 0) ? count_v->as_int() : INT64_MAX;
    std::string out;
    if (from.empty()) {
      const auto cps = text::split_code_points(s);
      for (size_t i = 0; i <= cps.size(); ++i) {
        if (remaining > 0) out += to, --remaining;
        if (i < cps.size()) out.append(cps[i]);
        in.check_size(out.size());
      }
    } else {
      size_t pos = 0;
      while (remaining > 0) {
        const size_t hit = s.find(from, pos);
        if (hit == std::string::npos) break;
        out.append(s, pos, hit - pos);
        out += to;
        in.check_size(out.size());
        pos = hit + from.size();
        --remaining;
      }
      out.append(s, pos);
    }
    return r = Value::string(std::move(out)), true;
  }
  if (name == "find" || name == "rfind" || name == "index") {
    const int64_t at = find_in(s, string_arg(args, 0, "sub", name), name == "rfind");
    if (name == "index" && at < 0) eval_fail("index(): substring not found");
    return r = Value::integer(at), true;
  }
  if (name == "count") {
    const std::string& sub = string_arg(args, 0, "sub", name);
    if (sub.empty()) return r = Value::integer(static_cast<int64_t>(text::split_code_points(s).size()) + 1), true;
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
    return r = Value::integer(n), true;
  }
  if (name == "join") {
    const Value* items = args.get(0, "iterable");
    if (!items || !items->is_array()) eval_fail("join() needs a list");
    std::string out;
    for (size_t i = 0; i < items->as_array().size(); ++i) {
      const Value& v = items->as_array()[i];
      if (!v.is_string()) eval_fail("join() items must be strings, got {}", v.type_name());
      if (i > 0) out += s;
      out += v.as_string();
      in.check_size(out.size());
    }
    return r = Value::string(std::move(out)), true;
  }
  if (name == "format") return r = format(s, args), true;
  if (name == "splitlines") {
    ValueList lines;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\n' && s[i] != '\r') continue;
      lines.push_back(Value::string(s.substr(start, i - start)));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
    if (start < s.size()) lines.push_back(Value::string(s.substr(start)));
    return r = Value::array(std::move(lines)), true;
  }
  if (name == "isdigit") return r = all_code_points(s, [](uint32_t c) { return c >= '0' && c <= '9'; }), true;
  if (name == "isspace") return r = all_code_points(s, text::is_js_space), true;
  if (name == "isalpha") return r = all_code_points(s, is_alpha_cp), true;
  if (name == "isalnum")
    return r = all_code_points(s, [](uint32_t c) { return is_alpha_cp(c) || (c >= '0' && c <= '9'); }), true;
  if (name == "islower" || name == "isupper") {
    const std::string lo = text::to_lower(s), up = text::to_upper(s);
    const bool cased = lo != up;
    return r = Value::boolean(cased && (name == "islower" ? s == lo : s == up)), true;
  }
  if (name == "removeprefix" || name == "removesuffix") {
    const std::string& affix = string_arg(args, 0, "affix", name);
    std::string out = s;
    if (name == "removeprefix" && s.starts_with(affix)) out.erase(0, affix.size());
    if (name == "removesuffix" && s.ends_with(affix)) out.erase(out.size() - affix.size());
    return r = Value::string(std::move(out)), true;
  }
  if (name == "zfill") {
    const Value* w = args.get(0, "width");
    if (!w || !w->is_int()) eval_fail("zfill() needs an integer width");
    const auto len = static_cast<int64_t>(text::split_code_points(s).size());
    std::string out = s;
    if (w->as_int() > len) {
      const size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
      out.insert(sign, static_cast<size_t>(std::min<int64_t>(w->as_int() - len, 1 << 20)), '0');
    }
    return r = Value::string(std::move(out)), true;
  }
  return false;
}

bool list_method(Interpreter& in, const Value& list, std::string_view name, CallArgs& args, Value& r) {
  ValueList& items = list.as_array();
  if (name == "append") {
    const Value* v = args.get(0, "item");
    if (!v) eval_fail("append() needs an argument");
    if (items.size() >= kMaxListLength) eval_fail("list longer than {} items", kMaxListLength);
    in.track_mutable(list);
    items.push_back(*v);
    return r = Value::null(), true;
  }
  if (name == "pop") {
    if (items.empty()) eval_fail("pop() from an empty list");
    const Value* idx = args.get(0, "index");
    int64_t i = idx ? (idx->is_int() ? idx->as_int() : (eval_fail("pop() index must be an integer"), 0))
                    : static_cast<int64_t>(items.size()) - 1;
    if (i < 0) i += static_cast<int64_t>(items.size());
    if (i < 0 || i >= static_cast<int64_t>(items.size())) eval_fail("pop() index out of range");
    r = items[static_cast<size_t>(i)];
    items.erase(items.begin() + i);
    return true;
  }
  const Value* needle = args.get(0, "value");
  if (!needle) eval_fail("{}() needs an argument", name);
  if (name == "index") {
    for (size_t i = 0; i < items.size(); ++i)
      if (strict_equals(items[i], *needle)) return r = Value::integer(static_cast<int64_t>(i)), true;
    eval_fail("index(): value not in list");
  }
  if (name == "count") {
    int64_t n = 0;
    for (const Value& v : items) n += strict_equals(v, *needle) ? 1 : 0;
    return r = Value::integer(n), true;
  }
  return false;
}

Value pairs_of(const Object& o) {
  ValueList out;
  for (const auto& [k, v] : o.entries()) out.push_back(Value::array({Value::string(k), v}));
  return Value::array(std::move(out));
}

bool bool_arg(const CallArgs& args, size_t i, std::string_view name, bool fallback) {
  const Value* v = args.get(i, name);
  if (!v) return fallback;
  if (!v->is_bool()) eval_fail("'{}' must be a boolean", name);
  return v->as_bool();
}

bool object_method(const Value& obj, std::string_view name, CallArgs& args, Value& r) {
  const Object& o = obj.as_object();
  if (name == "get") {
    const Value* key = args.get(0, "key");
    if (!key || !key->is_string()) eval_fail("get() key must be a string");
    if (const Value* v = o.find(key->as_string())) return r = *v, true;
    const Value* fallback = args.get(1, "default");
    return r = fallback ? *fallback : Value::null(), true;
  }
  if (name == "items") return r = pairs_of(o), true;
  if (name == "keys" || name == "values") {
    ValueList out;
    for (const auto& [k, v] : o.entries()) out.push_back(name == "keys" ? Value::string(k) : v);
    return r = Value::array(std::move(out)), true;
  }
  if (name == "dictsort") {
    const bool case_sensitive = bool_arg(args, 0, "case_sensitive", false);
    const Value* by_v = args.get(1, "by");
    const std::string by = by_v ? (by_v->is_string() ? by_v->as_string() : "") : "key";
    if (by != "key" && by != "value") eval_fail("dictsort() 'by' must be 'key' or 'value'");
    const bool reverse = bool_arg(args, 2, "reverse", false);
    Value pairs = pairs_of(o);
    auto& items = pairs.as_array();
    const size_t idx = by == "key" ? 0 : 1;
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
      const int c = compare_values(a.as_array()[idx], b.as_array()[idx], case_sensitive);
      return reverse ? c > 0 : c < 0;
    });
    return r = std::move(pairs), true;
  }
  return false;
}

}  // namespace

bool call_builtin_method(Interpreter& in, const Value& object, std::string_view name, CallArgs& args, Value& result) {
  if (object.is_string()) {
    if (!contains(kStringMethods, name)) return false;
    return string_method(in, object.as_string(), name, args, result);
  }
  if (object.is_array()) return contains(kListMethods, name) && list_method(in, object, name, args, result);
  if (object.is_object()) return contains(kObjectMethods, name) && object_method(object, name, args, result);
  return false;
}

std::optional<Value> builtin_member(const Value& object, std::string_view name) {
  if (name == "length") {
    if (object.is_string()) return Value::integer(static_cast<int64_t>(text::utf16_length(object.as_string())));
    if (object.is_array()) return Value::integer(static_cast<int64_t>(object.as_array().size()));
  }
  const bool known = (object.is_string() && contains(kStringMethods, name)) ||
                     (object.is_array() && contains(kListMethods, name)) ||
                     (object.is_object() && contains(kObjectMethods, name));
  if (!known) return std::nullopt;
  return Value::function(std::string(name), [object, method = std::string(name)](Interpreter& in, const ScopePtr&,
                                                                                   CallArgs& args) {
    Value r;
    call_builtin_method(in, object, method, args, r);
    return r;
  });
}

}  // namespace hearth::chat::jinja

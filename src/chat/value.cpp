#include "chat/value.h"

#include <cmath>

#include "chat/errors.h"
#include "chat/text.h"

namespace hearth::chat::jinja {

const Value* CallArgs::keyword_arg(std::string_view name) const {
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

const Value* CallArgs::get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  return keyword_arg(name);
}

const Value* Object::find(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

Value* Object::find(std::string_view key) {
  for (auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

void Object::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
  } else {
    entries_.emplace_back(std::move(key), std::move(value));
  }
}

void Object::append_unique(std::string key, Value value) { entries_.emplace_back(std::move(key), std::move(value)); }

namespace {

// Containers are freed through a per-thread queue rather than recursively, so a template that
// nests lists a million levels deep cannot overflow the stack when they are destroyed.
struct Graveyard {
  std::vector<ValueList*> lists;
  std::vector<Object*> objects;
  bool draining = false;

  template <typename T>
  void bury(std::vector<T*>& pile, T* p) {
    try {
      pile.push_back(p);
    } catch (...) {
      delete p;
      return;
    }
    if (draining) return;
    draining = true;
    while (!lists.empty() || !objects.empty()) {
      if (!lists.empty()) {
        ValueList* l = lists.back();
        lists.pop_back();
        delete l;
      } else {
        Object* o = objects.back();
        objects.pop_back();
        delete o;
      }
    }
    draining = false;
  }
};
thread_local Graveyard graveyard;

struct ListDeleter {
  void operator()(ValueList* p) const noexcept { graveyard.bury(graveyard.lists, p); }
};
struct ObjectDeleter {
  void operator()(Object* p) const noexcept { graveyard.bury(graveyard.objects, p); }
};

}  // namespace

Value Value::array(ValueList items) {
  return Value(Storage(std::shared_ptr<ValueList>(new ValueList(std::move(items)), ListDeleter{})));
}
Value Value::object() { return Value(Storage(std::shared_ptr<Object>(new Object(false), ObjectDeleter{}))); }
Value Value::namespace_object() { return Value(Storage(std::shared_ptr<Object>(new Object(true), ObjectDeleter{}))); }
Value Value::function(std::string name, NativeFunction fn) {
  return Value(Storage(std::make_shared<Function>(Function{std::move(name), std::move(fn)})));
}

namespace {
constexpr int kMaxJsonDepth = 256;
}  // namespace

Value Value::from_json(const nlohmann::ordered_json& j) { return from_json_at(j, 0); }

Value Value::from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxJsonDepth) eval_fail("JSON value nested deeper than {} levels", kMaxJsonDepth);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return null();
    case nlohmann::ordered_json::value_t::boolean:
      return boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return integer(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      return u <= static_cast<uint64_t>(INT64_MAX) ? integer(static_cast<int64_t>(u)) : number(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: {
      const double d = j.get<double>();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18)  // -0.0 too, as in JavaScript
        return integer(static_cast<int64_t>(d));
      return number(d);
    }
    case nlohmann::ordered_json::value_t::string:
      return string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_at(e, depth + 1));
      return array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Value obj = object();
      for (const auto& [k, v] : j.items()) obj.as_object().append_unique(k, from_json_at(v, depth + 1));
      return obj;
    }
    default:
      return Value();  // binary / discarded: nothing a template can use
  }
}

Value::Kind Value::kind() const {
  switch (data_.index()) {
    case 0: return Kind::Undefined;
    case 1: return Kind::Null;
    case 2: return Kind::Bool;
    case 3: return Kind::Int;
    case 4: return Kind::Float;
    case 5: return Kind::String;
    case 6: return Kind::Array;
    case 7: return is_namespace() ? Kind::Namespace : Kind::Object;
    default: return Kind::Function;
  }
}

double Value::as_double() const {
  if (is_int()) return static_cast<double>(as_int());
  if (is_float()) return as_float();
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  eval_fail("expected a number, got {}", type_name());
}

const void* Value::identity() const {
  switch (data_.index()) {
    case 6: return std::get<6>(data_).get();
    case 7: return std::get<7>(data_).get();
    case 8: return std::get<8>(data_).get();
    default: return nullptr;
  }
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::Undefined:
    case Kind::Null: return false;
    case Kind::Bool: return as_bool();
    case Kind::Int: return as_int() != 0;
    case Kind::Float: return as_float() != 0 && !std::isnan(as_float());
    case Kind::String: return !as_string().empty();
    case Kind::Array: return !as_array().empty();
    case Kind::Object: return !as_object().empty();
    case Kind::Namespace:
    case Kind::Function: return true;
  }
  return false;
}

std::string_view Value::type_name() const {
  switch (kind()) {
    case Kind::Undefined: return "undefined";
    case Kind::Null: return "none";
    case Kind::Bool: return "boolean";
    case Kind::Int: return "integer";
    case Kind::Float: return "float";
    case Kind::String: return "string";
    case Kind::Array: return "list";
    case Kind::Object: return "object";
    case Kind::Namespace: return "namespace";
    case Kind::Function: return "function";
  }
  return "?";
}

namespace {

void append_json(std::string& out, const Value& v, const JsonOptions& o, int depth) {
  if (depth > 256) eval_fail("value nested deeper than 256 levels (does it contain itself?)");
  const std::string item_sep = o.has_separators ? o.item_separator : (o.indent > 0 ? "," : ", ");
  const std::string key_sep = o.has_separators ? o.key_separator : ": ";
  const std::string indent_unit(static_cast<size_t>(std::max(o.indent, 0)), ' ');
  auto padding = [&](int d) {
    std::string p = "\n";
    for (int i = 0; i < d; ++i) p += indent_unit;
    return p;
  };
  switch (v.kind()) {
    case Value::Kind::Undefined:
      out += o.undefined_as_null ? "null" : "undefined";
      return;
    case Value::Kind::Null: out += "null"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return;
    case Value::Kind::Float: {
      const double d = v.as_float();
      out += std::isfinite(d) ? text::js_number(d) : "null";
      return;
    }
    case Value::Kind::String: text::append_json_quoted(out, v.as_string(), o.ensure_ascii); return;
    case Value::Kind::Array: {
      const auto& items = v.as_array();
      out += '[';
      const bool pretty = o.indent > 0 && !items.empty();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += item_sep;
        if (pretty) out += padding(depth + 1);
        append_json(out, items[i], o, depth + 1);
      }
      if (pretty) out += padding(depth);
      out += ']';
      return;
    }
    case Value::Kind::Object:
    case Value::Kind::Namespace: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& e : v.as_object().entries()) entries.push_back(&e);
      if (o.sort_keys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](auto* a, auto* b) { return text::locale_compare(a->first, b->first) < 0; });
      out += '{';
      const bool pretty = o.indent > 0 && !entries.empty();
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_sep;
        if (pretty) out += padding(depth + 1);
        text::append_json_quoted(out, entries[i]->first, o.ensure_ascii);
        out += key_sep;
        append_json(out, entries[i]->second, o, depth + 1);
      }
      if (pretty) out += padding(depth);
      out += '}';
      return;
    }
    case Value::Kind::Function:
      eval_fail("cannot convert a function to JSON");
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonOptions& opts) {
  std::string out;
  append_json(out, v, opts, 0);
  return out;
}

std::string to_display(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return "undefined";
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return v.as_bool() ? "true" : "false";
    case Value::Kind::Int: return std::to_string(v.as_int());
    case Value::Kind::Float: return text::js_float_display(v.as_float());
    case Value::Kind::String: return v.as_string();
    case Value::Kind::Array:
    case Value::Kind::Object:
    case Value::Kind::Namespace: {
      JsonOptions o;
      o.undefined_as_null = false;
      return to_json(v, o);
    }
    case Value::Kind::Function: eval_fail("cannot print function '{}'", v.as_function().name);
  }
  return {};
}

std::string to_js_string(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Float: return text::js_number(v.as_float());
    case Value::Kind::Array: {
      std::string out;
      const auto& items = v.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += to_display(items[i]);
      }
      return out;
    }
    case Value::Kind::Object:
    case Value::Kind::Namespace: return "[object Map]";
    default: return to_display(v);
  }
}

namespace {

// JavaScript's ToNumber for primitives (undefined -> NaN, null -> 0).
std::optional<double> primitive_number(const Value& v) {
  if (v.is_numeric_like()) return v.as_double();
  if (v.is_string()) return text::js_to_number(v.as_string());
  if (v.is_null()) return 0.0;
  return std::nullopt;
}

}  // namespace

bool strict_equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::Null: return true;
    case Value::Kind::Bool: return a.as_bool() == b.as_bool();
    case Value::Kind::String: return a.as_string() == b.as_string();
    default: return a.identity() == b.identity();
  }
}

bool loose_equals(const Value& a, const Value& b) {
  if (a.is_none_or_undefined() || b.is_none_or_undefined())
    return a.is_none_or_undefined() && b.is_none_or_undefined();
  const bool a_prim = !a.identity(), b_prim = !b.identity();
  if (!a_prim || !b_prim) {
    if (!a_prim && !b_prim) return a.identity() == b.identity();
    // A container against a primitive: JavaScript compares its string form.
    const Value& obj = a_prim ? b : a;
    const Value& prim = a_prim ? a : b;
    if (obj.is_function()) return false;
    const Value as_text = Value::string(to_js_string(obj));
    return loose_equals(as_text, prim);
  }
  if (a.is_string() && b.is_string()) return a.as_string() == b.as_string();
  if (a.is_numeric_like() && b.is_numeric_like()) return a.as_double() == b.as_double();
  const auto x = primitive_number(a), y = primitive_number(b);
  return x && y && *x == *y;
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  if (a.is_null() && b.is_null()) return 0;
  if (a.is_null() || b.is_null()) eval_fail("cannot compare {} with {}", a.type_name(), b.type_name());
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_undefined() || b.is_undefined()) eval_fail("cannot compare {} with {}", a.type_name(), b.type_name());
  if (a.is_numeric_like() && b.is_numeric_like()) {
    const double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.kind() != b.kind()) eval_fail("cannot compare different types: {} and {}", a.type_name(), b.type_name());
  if (!a.is_string()) eval_fail("cannot compare values of type {}", a.type_name());
  if (case_sensitive) return a.as_string().compare(b.as_string()) < 0 ? -1 : a.as_string() == b.as_string() ? 0 : 1;
  const std::string x = text::to_lower(a.as_string()), y = text::to_lower(b.as_string());
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace hearth::chat::jinja

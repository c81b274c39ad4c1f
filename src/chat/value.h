#pragma once
// Runtime values of the template interpreter. The semantics follow the reference renderer
// (@huggingface/jinja): objects keep insertion order, numbers print the JavaScript way,
// `==` is JavaScript's loose equality, and JSON numbers with an integral value are integers.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::chat::jinja {

class Value;
class Interpreter;
struct Scope;
using ScopePtr = std::shared_ptr<Scope>;
using ValueList = std::vector<Value>;

// Arguments of a call: positional values, then keyword arguments in call order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  const Value* keyword_arg(std::string_view name) const;
  // Positional argument `index` if present, else keyword `name`, else nullptr.
  const Value* get(size_t index, std::string_view name) const;
};

// A native or macro function. `scope` is the caller's scope (macros see it, as in the reference).
using NativeFunction = std::function<Value(Interpreter&, const ScopePtr& scope, CallArgs& args)>;

struct Function {
  std::string name;
  NativeFunction fn;
};

// An insertion-ordered string-keyed map. Also backs namespace() objects.
class Object {
 public:
  explicit Object(bool is_namespace = false) : is_namespace_(is_namespace) {}
  bool is_namespace() const { return is_namespace_; }
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value value);  // replaces an existing key in place
  void append_unique(std::string key, Value value);  // caller guarantees the key is new
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

 private:
  bool is_namespace_;
  std::vector<std::pair<std::string, Value>> entries_;
};

class Value {
 public:
  enum class Kind : uint8_t { Undefined, Null, Bool, Int, Float, String, Array, Object, Namespace, Function };

  Value() = default;  // undefined
  static Value null() { return Value(Storage(nullptr)); }
  static Value boolean(bool b) { return Value(Storage(b)); }
  static Value integer(int64_t i) { return Value(Storage(i)); }
  static Value number(double d) { return Value(Storage(d)); }  // a float value
  static Value string(std::string s) { return Value(Storage(std::move(s))); }
  static Value array(ValueList items = {});
  static Value object();
  static Value namespace_object();
  static Value function(std::string name, NativeFunction fn);

  // From JSON: integral numbers (also 3.0) become integers, as JavaScript's JSON.parse +
  // Number.isInteger make them in the reference renderer.
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const;
  bool is_undefined() const { return data_.index() == 0; }
  bool is_null() const { return data_.index() == 1; }
  bool is_none_or_undefined() const { return data_.index() <= 1; }
  bool is_bool() const { return data_.index() == 2; }
  bool is_int() const { return data_.index() == 3; }
  bool is_float() const { return data_.index() == 4; }
  bool is_number() const { return is_int() || is_float(); }  // bool is not a number here
  bool is_numeric_like() const { return is_number() || is_bool(); }
  bool is_string() const { return data_.index() == 5; }
  bool is_array() const { return data_.index() == 6; }
  bool is_object() const { return data_.index() == 7 && !std::get<7>(data_)->is_namespace(); }
  bool is_namespace() const { return data_.index() == 7 && std::get<7>(data_)->is_namespace(); }
  bool is_object_or_namespace() const { return data_.index() == 7; }
  bool is_function() const { return data_.index() == 8; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  double as_double() const;  // int, float or bool as a double
  const std::string& as_string() const { return std::get<std::string>(data_); }
  ValueList& as_array() const { return *std::get<std::shared_ptr<ValueList>>(data_); }
  Object& as_object() const { return *std::get<std::shared_ptr<Object>>(data_); }  // also namespaces
  const Function& as_function() const { return *std::get<std::shared_ptr<Function>>(data_); }
  const void* identity() const;  // container/function identity, nullptr for scalars

  bool truthy() const;
  // Name used in error messages ("string", "integer", "undefined", ...).
  std::string_view type_name() const;

 private:
  struct UndefinedTag {};
  using Storage = std::variant<UndefinedTag, std::nullptr_t, bool, int64_t, double, std::string,
                               std::shared_ptr<ValueList>, std::shared_ptr<Object>, std::shared_ptr<Function>>;
  explicit Value(Storage s) : data_(std::move(s)) {}
  static Value from_json_at(const nlohmann::ordered_json& j, int depth);
  Storage data_;
};

// --- Printing (value_print.cpp) ------------------------------------------------------------

struct JsonOptions {
  int indent = 0;  // 0 = single line
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_separators = false;
  std::string item_separator, key_separator;
  bool undefined_as_null = true;  // false when printing containers ("undefined")
};
std::string to_json(const Value& v, const JsonOptions& opts = {});

// What `{{ v }}` prints (the reference's toString): floats as 3.0, containers as JSON,
// booleans as true/false. Undefined and none print as "undefined"/"null" here; the output
// statement itself skips them.
std::string to_display(const Value& v);
// JavaScript's value.toString() as used by `+` and `~` on strings: numbers without ".0",
// arrays joined by ",", objects as "[object Map]".
std::string to_js_string(const Value& v);

// JavaScript's loose (==) and strict (===) equality on the underlying values; containers and
// functions compare by identity.
bool loose_equals(const Value& a, const Value& b);
bool strict_equals(const Value& a, const Value& b);
// The reference's sort comparison: numbers (and booleans) numerically, strings optionally
// case-insensitively; other mixes are errors (thrown as hearth::Error).
int compare_values(const Value& a, const Value& b, bool case_sensitive);

}  // namespace hearth::chat::jinja

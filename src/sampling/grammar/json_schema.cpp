#include "sampling/grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/error.h"
#include "sampling/grammar/number_ranges.h"

namespace hearth::sampling::grammar {
namespace {

using json = nlohmann::ordered_json;

struct Primitive {
  const char* name;
  const char* body;
};

// Building blocks, defined in the output only when used (dependencies by name).
constexpr Primitive kPrimitives[] = {
    {"ws", R"(| " " | "\n" [ \t]{0,20})"},
    {"char", R"([^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})))"},
    {"string", R"("\"" char* "\"")"},
    {"number", R"("-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?)"},
    {"integer", R"("-"? ("0" | [1-9] [0-9]{0,15}))"},
    {"boolean", R"("true" | "false")"},
    {"null", R"("null")"},
    {"value", R"(object | array | string | number | boolean | null)"},
    {"object", R"("{" ws (string ws ":" ws value ws ("," ws string ws ":" ws value ws)*)? "}")"},
    {"array", R"("[" ws (value ws ("," ws value ws)*)? "]")"},
    {"date", R"([0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]))"},
    {"time", R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]))"},
    {"date-time", R"(date "T" time)"},
    {"uuid", R"([0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12})"},
};

std::string gbnf_literal(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02X}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string sanitize(std::string_view hint) {
  std::string s;
  for (char c : hint) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    s += ok ? c : '-';
  }
  return s.empty() ? "r" : s;
}

std::string repeat_suffix(int64_t min, std::optional<int64_t> max) {
  if (max) return fmt::format("{{{},{}}}", min, *max);
  return fmt::format("{{{},}}", min);
}

class Converter {
 public:
  explicit Converter(const json& root) : root_(root) {
    for (const auto& p : kPrimitives) names_.insert(p.name);
    names_.insert("root");
  }

  std::string run() {
    const std::string top = visit(root_, "root", "#");
    std::string out = "root ::= " + top + "\n";
    for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
    return out;
  }

  std::string any_value() { return prim("value"); }

 private:
  template <typename... Args>
  [[noreturn]] void error(const std::string& path, fmt::format_string<Args...> f, Args&&... args) {
    fail("json schema at {}: {}", path, fmt::format(f, std::forward<Args>(args)...));
  }

  std::string prim(const std::string& name) {
    if (used_prims_.count(name)) return name;
    for (const auto& p : kPrimitives) {
      if (name != p.name) continue;
      used_prims_.insert(name);
      rules_.emplace_back(name, p.body);
      // Dependencies: any primitive named in the body.
      static const char* const deps[][2] = {{"string", "char"}, {"value", "object"}, {"value", "array"},
                                            {"value", "string"}, {"value", "number"},  {"value", "boolean"},
                                            {"value", "null"},  {"object", "ws"},     {"object", "string"},
                                            {"object", "value"}, {"array", "ws"},      {"array", "value"},
                                            {"date-time", "date"}, {"date-time", "time"}};
      for (const auto& d : deps)
        if (name == d[0]) prim(d[1]);
      return name;
    }
    HEARTH_CHECK(false, "unknown primitive {}", name);
    return name;
  }

  std::string reserve(const std::string& hint) {
    std::string base = sanitize(hint), name = base;
    for (int i = 1; names_.count(name); ++i) name = base + "-" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  std::string add_rule(const std::string& hint, const std::string& body) {
    const std::string name = reserve(hint);
    rules_.emplace_back(name, body);
    return name;
  }

  std::string alternatives(const std::vector<std::string>& alts) {
    std::string s;
    for (size_t i = 0; i < alts.size(); ++i) s += (i ? " | " : "") + alts[i];
    return s;
  }

  // Returns the name of a rule matching the schema.
  std::string visit(const json& s, const std::string& hint, const std::string& path) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return prim("value");
      error(path, "the schema `false` matches nothing");
    }
    if (!s.is_object()) error(path, "expected a schema object, got {}", s.dump());
    if (s.contains("$ref")) return ref(s["$ref"], path);
    if (s.contains("const")) return add_rule(hint, gbnf_literal(s["const"].dump()));
    if (s.contains("enum")) {
      const json& e = s["enum"];
      if (!e.is_array() || e.empty()) error(path, "enum must be a non-empty array");
      std::vector<std::string> alts;
      for (const auto& v : e) alts.push_back(gbnf_literal(v.dump()));
      return add_rule(hint, alternatives(alts));
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!s.contains(key)) continue;
      const json& list = s[key];
      if (!list.is_array() || list.empty()) error(path, "{} must be a non-empty array", key);
      std::vector<std::string> alts;
      for (size_t i = 0; i < list.size(); ++i)
        alts.push_back(visit(list[i], hint + "-" + std::to_string(i), path + "/" + key + "/" + std::to_string(i)));
      return add_rule(hint, alternatives(alts));
    }
    if (s.contains("allOf")) {
      const json& list = s["allOf"];
      if (!list.is_array() || list.size() != 1)
        error(path, "allOf is supported with exactly one schema (merging several is not)");
      return visit(list[0], hint, path + "/allOf/0");
    }
    for (const char* key : {"pattern", "multipleOf", "prefixItems", "patternProperties", "not", "if"})
      if (s.contains(key)) error(path, "'{}' is not supported by the grammar converter", key);

    if (s.contains("type") && s["type"].is_array()) {
      std::vector<std::string> alts;
      for (const auto& t : s["type"]) {
        json one = s;
        one["type"] = t;
        alts.push_back(visit(one, hint + "-" + (t.is_string() ? t.get<std::string>() : "t"), path));
      }
      if (alts.empty()) error(path, "type is an empty list");
      return add_rule(hint, alternatives(alts));
    }
    std::string type;
    if (s.contains("type")) {
      if (!s["type"].is_string()) error(path, "type must be a string or a list of strings");
      type = s["type"].get<std::string>();
    } else if (s.contains("properties") || s.contains("additionalProperties") || s.contains("required")) {
      type = "object";
    } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
      type = "array";
    } else if (s.contains("minLength") || s.contains("maxLength") || s.contains("format")) {
      type = "string";
    } else if (s.contains("minimum") || s.contains("maximum")) {
      type = "number";
    } else {
      return prim("value");
    }
    if (type == "object") return object(s, hint, path);
    if (type == "array") return array(s, hint, path);
    if (type == "string") return string(s, hint, path);
    if (type == "number" || type == "integer") return number(s, hint, path, type == "integer");
    if (type == "boolean") return prim("boolean");
    if (type == "null") return prim("null");
    error(path, "unknown type '{}'", type);
  }

  std::string ref(const json& r, const std::string& path) {
    if (!r.is_string()) error(path, "$ref must be a string");
    const std::string target = r.get<std::string>();
    if (auto it = ref_names_.find(target); it != ref_names_.end()) return it->second;
    if (target.empty() || target[0] != '#') error(path, "only local references (#/...) are supported, got '{}'", target);
    const json* node = nullptr;
    try {
      node = &root_.at(json::json_pointer(target.substr(1)));
    } catch (const std::exception&) {
      error(path, "$ref '{}' points nowhere", target);
    }
    const std::string name = reserve(target.substr(target.find_last_of('/') + 1));
    ref_names_[target] = name;
    const size_t slot = rules_.size();
    rules_.emplace_back(name, "");  // filled below; recursion finds the name already
    const std::string body = visit(*node, name + "-def", target);
    rules_[slot].second = body;
    return name;
  }

  std::string object(const json& s, const std::string& hint, const std::string& path) {
    struct Item {
      std::string rule;
      bool required;
    };
    std::vector<Item> items;
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) error(path, "required must be an array of names");
      for (const auto& r : s["required"]) {
        if (!r.is_string()) error(path, "required must be an array of names");
        required.insert(r.get<std::string>());
      }
    }
    const std::string ws = prim("ws");
    std::set<std::string> declared;
    auto add_property = [&](const std::string& key, const json& schema) {
      const std::string value = visit(schema, hint + "-" + key, path + "/properties/" + key);
      const std::string kv = add_rule(hint + "-" + key + "-kv",
                                      gbnf_literal(json(key).dump()) + " " + ws + " \":\" " + ws + " " + value + " " + ws);
      items.push_back({kv, required.count(key) > 0});
      declared.insert(key);
    };
    if (s.contains("properties")) {
      if (!s["properties"].is_object()) error(path, "properties must be an object");
      for (const auto& [key, schema] : s["properties"].items()) add_property(key, schema);
    }
    for (const auto& key : required)
      if (!declared.count(key)) add_property(key, json(true));
    // Extra properties: absent means none when properties are listed, any otherwise.
    std::optional<json> extra;
    if (s.contains("additionalProperties")) {
      const json& a = s["additionalProperties"];
      if (!(a.is_boolean() && !a.get<bool>())) extra = a;
    } else if (!s.contains("properties")) {
      extra = json(true);
    }
    if (extra) {
      const std::string value = visit(*extra, hint + "-extra-value", path + "/additionalProperties");
      const std::string kv =
          add_rule(hint + "-extra-kv", prim("string") + " " + ws + " \":\" " + ws + " " + value + " " + ws);
      items.push_back({add_rule(hint + "-extra", kv + " (\",\" " + ws + " " + kv + ")*"), false});
    }
    return add_rule(hint, "\"{\" " + ws + " " + member_list(items, hint) + (items.empty() ? "" : " ") + "\"}\"");
  }

  // Members in order, each optional or required, with commas exactly between present ones.
  template <typename Item>
  std::string member_list(const std::vector<Item>& items, const std::string& hint) {
    if (items.empty()) return "";
    const std::string sep = "\",\" " + prim("ws") + " ";
    size_t first_required = items.size();
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].required) {
        first_required = i;
        break;
      }
    std::string out;
    if (first_required < items.size()) {
      for (size_t i = 0; i < first_required; ++i) out += "(" + items[i].rule + " " + sep + ")? ";
      out += items[first_required].rule;
      for (size_t i = first_required + 1; i < items.size(); ++i)
        out += items[i].required ? " " + sep + items[i].rule : " (" + sep + items[i].rule + ")?";
      return out;
    }
    // All optional: whichever comes first has no comma. tail_i = ("," item_i)? tail_{i+1}.
    std::vector<std::string> tails(items.size() + 1);
    for (size_t i = items.size(); i-- > 1;) {
      const std::string body = "(" + sep + items[i].rule + ")?" + (tails[i + 1].empty() ? "" : " " + tails[i + 1]);
      tails[i] = add_rule(hint + "-tail", body);
    }
    std::vector<std::string> alts;
    for (size_t i = 0; i < items.size(); ++i)
      alts.push_back(items[i].rule + (tails[i + 1].empty() ? "" : " " + tails[i + 1]));
    return "(" + alternatives(alts) + ")?";
  }

  std::optional<int64_t> count(const json& s, const char* key, const std::string& path) {
    if (!s.contains(key)) return std::nullopt;
    const json& v = s[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 10000)
      error(path, "{} must be an integer between 0 and 10000", key);
    return v.get<int64_t>();
  }

  std::string array(const json& s, const std::string& hint, const std::string& path) {
    const std::string ws = prim("ws");
    const std::string item =
        s.contains("items") ? visit(s["items"], hint + "-item", path + "/items") : prim("value");
    const int64_t min = count(s, "minItems", path).value_or(0);
    const std::optional<int64_t> max = count(s, "maxItems", path);
    if (max && *max < min) error(path, "maxItems {} is below minItems {}", *max, min);
    if (max && *max == 0) return add_rule(hint, "\"[\" " + ws + " \"]\"");
    std::string more = "(\",\" " + ws + " " + item + " " + ws + ")" +
                       repeat_suffix(min > 0 ? min - 1 : 0, max ? std::optional<int64_t>(*max - 1) : std::nullopt);
    if (max && *max == 1) more.clear();
    std::string list = item + " " + ws + (more.empty() ? "" : " " + more);
    if (min == 0) list = "(" + list + ")?";
    return add_rule(hint, "\"[\" " + ws + " " + list + " \"]\"");
  }

  std::string string(const json& s, const std::string& hint, const std::string& path) {
    if (s.contains("format") && s["format"].is_string()) {
      const std::string f = s["format"].get<std::string>();
      if (f == "date" || f == "time" || f == "date-time" || f == "uuid")
        return add_rule(hint, "\"\\\"\" " + prim(f) + " \"\\\"\"");
    }
    const std::optional<int64_t> min = count(s, "minLength", path), max = count(s, "maxLength", path);
    if (!min && !max) return prim("string");
    if (max && min && *max < *min) error(path, "maxLength {} is below minLength {}", *max, *min);
    prim("string");  // defines char
    return add_rule(hint, "\"\\\"\" char" + repeat_suffix(min.value_or(0), max) + " \"\\\"\"");
  }

  // A bound as an integer: `up` rounds fractional integer bounds up (minimum) or down.
  std::optional<int64_t> bound(const json& s, const char* key, const std::string& path, bool integer, bool up) {
    if (!s.contains(key) || s[key].is_boolean()) return std::nullopt;
    if (!s[key].is_number()) error(path, "{} must be a number", key);
    const double v = s[key].get<double>();
    if (!(std::abs(v) <= static_cast<double>(kMaxBound))) error(path, "{} {} is beyond ±1e18", key, v);
    if (std::floor(v) != v) {
      if (!integer) error(path, "{} {} on a number is not expressible (only whole-number bounds are)", key, v);
      return static_cast<int64_t>(up ? std::ceil(v) : std::floor(v));
    }
    return s[key].is_number_integer() ? s[key].get<int64_t>() : static_cast<int64_t>(v);
  }

  std::string number(const json& s, const std::string& hint, const std::string& path, bool integer) {
    std::optional<int64_t> lo = bound(s, "minimum", path, integer, true);
    std::optional<int64_t> hi = bound(s, "maximum", path, integer, false);
    // Exclusive bounds: numbers (draft 6 and later) or booleans qualifying minimum/maximum (draft 4).
    for (const std::string_view key : {"exclusiveMinimum", "exclusiveMaximum"}) {
      const std::string k(key);
      if (!s.contains(k)) continue;
      const bool is_min = key == "exclusiveMinimum";
      auto& b = is_min ? lo : hi;
      if (s[k].is_boolean()) {
        if (s[k].get<bool>() && b) {
          if (!integer) error(path, "{} on a number is not expressible; use minimum/maximum", key);
          *b += is_min ? 1 : -1;
        }
        continue;
      }
      if (!integer) error(path, "{} on a number is not expressible; use minimum/maximum", key);
      if (!s[k].is_number()) error(path, "{} must be a number", key);
      const double e = s[k].get<double>();
      if (!(std::abs(e) <= static_cast<double>(kMaxBound))) error(path, "{} {} is beyond ±1e18", key, e);
      // x > e  <=>  x >= floor(e) + 1;  x < e  <=>  x <= ceil(e) - 1
      const int64_t strict = is_min ? static_cast<int64_t>(std::floor(e)) + 1 : static_cast<int64_t>(std::ceil(e)) - 1;
      b = b ? (is_min ? std::max(*b, strict) : std::min(*b, strict)) : strict;
    }
    if (!lo && !hi) return prim(integer ? "integer" : "number");
    if (lo && hi && *lo > *hi) error(path, "minimum {} is above maximum {}: no value fits", *lo, *hi);
    return add_rule(hint, integer ? integer_range_gbnf(lo, hi) : number_range_gbnf(lo, hi));
  }

  const json& root_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::set<std::string> names_;
  std::set<std::string> used_prims_;
  std::map<std::string, std::string> ref_names_;
};

}  // namespace

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema) { return Converter(schema).run(); }

std::string json_schema_to_gbnf(std::string_view schema_text) {
  nlohmann::ordered_json schema;
  try {
    schema = nlohmann::ordered_json::parse(schema_text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("json schema is not valid JSON: {}", e.what());
  }
  return json_schema_to_gbnf(schema);
}

std::string any_json_gbnf() { return json_schema_to_gbnf(nlohmann::ordered_json(true)); }

}  // namespace hearth::sampling::grammar

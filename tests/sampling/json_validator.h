#pragma once
// A small JSON Schema validator for the keywords the grammar converter supports, written
// independently of it: the test checks generated documents against their schema with it.
// Returns "" when valid, else the first problem with its JSON pointer.
#include <cmath>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace hearth::test {

class JsonValidator {
 public:
  explicit JsonValidator(const nlohmann::json& root) : root_(root) {}
  std::string validate(const nlohmann::json& doc) const { return check(root_, doc, ""); }

 private:
  static size_t code_points(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }
  static bool digits(const std::string& s, size_t at, size_t n) {
    if (at + n > s.size()) return false;
    for (size_t i = at; i < at + n; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  }
  static int num(const std::string& s, size_t at, size_t n) { return std::stoi(s.substr(at, n)); }
  static bool is_date(const std::string& s) {
    return s.size() == 10 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' && digits(s, 8, 2) &&
           num(s, 5, 2) >= 1 && num(s, 5, 2) <= 12 && num(s, 8, 2) >= 1 && num(s, 8, 2) <= 31;
  }
  static bool is_time(const std::string& s) {
    if (s.size() < 9 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) || s[5] != ':' || !digits(s, 6, 2))
      return false;
    if (num(s, 0, 2) > 23 || num(s, 3, 2) > 59 || num(s, 6, 2) > 59) return false;
    size_t i = 8;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      if (j == i + 1) return false;
      i = j;
    }
    if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
    return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2) && s[i + 3] == ':' &&
           digits(s, i + 4, 2) && num(s, i + 1, 2) <= 23 && num(s, i + 4, 2) <= 59;
  }
  static bool is_uuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < 36; ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (s[i] == '-')) return false;
      if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
  }
  static bool has_type(const nlohmann::json& d, const std::string& t) {
    if (t == "object") return d.is_object();
    if (t == "array") return d.is_array();
    if (t == "string") return d.is_string();
    if (t == "integer") return d.is_number_integer() || (d.is_number_float() && std::floor(d.get<double>()) == d.get<double>());
    if (t == "number") return d.is_number();
    if (t == "boolean") return d.is_boolean();
    if (t == "null") return d.is_null();
    return false;
  }

  std::string check(const nlohmann::json& s, const nlohmann::json& d, const std::string& at) const {
    if (s.is_boolean()) return s.get<bool>() ? "" : at + ": schema false";
    if (s.contains("$ref")) {
      const std::string ref = s["$ref"].get<std::string>();
      return check(root_.at(nlohmann::json::json_pointer(ref.substr(1))), d, at);
    }
    if (s.contains("const") && d != s["const"]) return at + ": not the const value";
    if (s.contains("enum")) {
      bool found = false;
      for (const auto& v : s["enum"]) found = found || v == d;
      if (!found) return at + ": not in enum";
    }
    if (s.contains("anyOf") || s.contains("oneOf")) {
      const bool one = s.contains("oneOf");
      int matches = 0;
      for (const auto& sub : s[one ? "oneOf" : "anyOf"]) matches += check(sub, d, at).empty();
      if (one ? matches != 1 : matches == 0) return at + ": " + std::to_string(matches) + " alternatives match";
    }
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_array()) {
        for (const auto& t : s["type"]) ok = ok || has_type(d, t.get<std::string>());
      } else {
        ok = has_type(d, s["type"].get<std::string>());
      }
      if (!ok) return at + ": wrong type (" + d.dump() + ")";
    }
    if (d.is_object()) {
      const auto props = s.value("properties", nlohmann::json::object());
      for (const auto& r : s.value("required", nlohmann::json::array()))
        if (!d.contains(r.get<std::string>())) return at + ": missing required " + r.get<std::string>();
      for (const auto& [k, v] : d.items()) {
        if (props.contains(k)) {
          if (auto e = check(props[k], v, at + "/" + k); !e.empty()) return e;
        } else if (s.contains("additionalProperties")) {
          if (auto e = check(s["additionalProperties"], v, at + "/" + k); !e.empty()) return e;
        } else if (s.contains("properties")) {
          // The converter's documented default: no extra properties when properties are listed.
          return at + ": unexpected property " + k;
        }
      }
    }
    if (d.is_array()) {
      if (s.contains("minItems") && d.size() < s["minItems"].get<size_t>()) return at + ": too few items";
      if (s.contains("maxItems") && d.size() > s["maxItems"].get<size_t>()) return at + ": too many items";
      if (s.contains("items"))
        for (size_t i = 0; i < d.size(); ++i)
          if (auto e = check(s["items"], d[i], at + "/" + std::to_string(i)); !e.empty()) return e;
    }
    if (d.is_string()) {
      const std::string v = d.get<std::string>();
      if (s.contains("minLength") && code_points(v) < s["minLength"].get<size_t>()) return at + ": too short";
      if (s.contains("maxLength") && code_points(v) > s["maxLength"].get<size_t>()) return at + ": too long";
      const std::string f = s.value("format", "");
      if (f == "date" && !is_date(v)) return at + ": not a date: " + v;
      if (f == "time" && !is_time(v)) return at + ": not a time: " + v;
      if (f == "date-time" && !(v.size() > 11 && v[10] == 'T' && is_date(v.substr(0, 10)) && is_time(v.substr(11))))
        return at + ": not a date-time: " + v;
      if (f == "uuid" && !is_uuid(v)) return at + ": not a uuid: " + v;
    }
    if (d.is_number()) {
      const double v = d.get<double>();
      if (s.contains("minimum") && v < s["minimum"].get<double>()) return at + ": below minimum";
      if (s.contains("maximum") && v > s["maximum"].get<double>()) return at + ": above maximum";
      if (s.contains("exclusiveMinimum") && v <= s["exclusiveMinimum"].get<double>()) return at + ": not above min";
      if (s.contains("exclusiveMaximum") && v >= s["exclusiveMaximum"].get<double>()) return at + ": not below max";
    }
    return "";
  }

  const nlohmann::json& root_;
};

}  // namespace hearth::test

// JSON Schema → GBNF: the produced grammar accepts documents that fit the schema and rejects
// ones that do not; number ranges are exact (checked exhaustively on a window).
#include <gtest/gtest.h>

#include <optional>

#include "core/error.h"
#include "grammar_util.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/grammar/number_ranges.h"

using namespace hearth;
using namespace hearth::sampling::grammar;
using hearth::test::grammar_accepts;

namespace {

struct SchemaCase {
  const char* name;
  const char* schema;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

}  // namespace

TEST(JsonSchema, AcceptsFittingAndRejectsOtherDocuments) {
  const SchemaCase cases[] = {
      {"object with required and optional", R"g({"type":"object","properties":{
          "name":{"type":"string"},"age":{"type":"integer"},"nick":{"type":"string"}},"required":["name","age"]})g",
       {R"g({"name":"Ann","age":31})g", R"g({"name": "Ann", "age": 31, "nick": "A"})g", "{\n  \"name\": \"x\",\n  \"age\": -2\n}"},
       {R"g({"age":31,"name":"Ann"})g", R"g({"name":"Ann"})g", R"g({"name":"Ann","age":31,"x":1})g", R"g({"name":1,"age":2})g",
        R"g({"name":"Ann","age":3.5})g"}},
      {"all optional", R"g({"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"const":7}}})g",
       {"{}", R"g({"a":true})g", R"g({"b":null})g", R"g({"c":7})g", R"g({"a":false,"c":7})g", R"g({"a":true,"b":null,"c":7})g"},
       {R"g({"b":null,"a":true})g", R"g({,"a":true})g", R"g({"a":true,})g", R"g({"c":8})g"}},
      {"optional before required", R"g({"properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["y"]})g",
       {R"g({"y":1})g", R"g({"x":0,"y":1})g"}, {"{}", R"g({"x":0})g"}},
      {"additional properties schema", R"g({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],
          "additionalProperties":{"type":"string"}})g",
       {R"g({"id":1})g", R"g({"id":1,"k":"v","k2":"w"})g"}, {R"g({"id":1,"k":2})g"}},
      {"free object", R"g({"type":"object"})g", {"{}", R"g({"anything":[1,{"x":null}]})g"}, {"[]"}},
      {"array bounds", R"g({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})g",
       {"[1]", "[1, 2]", "[1,2,3]"}, {"[]", "[1,2,3,4]", "[\"a\"]"}},
      {"array without bounds", R"g({"type":"array","items":{"enum":["a","b"]}})g", {"[]", R"g(["a","b","a"])g"}, {R"g(["c"])g"}},
      {"string lengths", R"g({"type":"string","minLength":2,"maxLength":4})g",
       {R"g("ab")g", R"g("abcd")g", R"g("a\nb")g", R"g("é日本")g"}, {R"g("a")g", R"g("abcde")g", R"g("\ud800")g"}},
      {"formats", R"g({"type":"object","properties":{"d":{"type":"string","format":"date"},
          "t":{"type":"string","format":"time"},"dt":{"type":"string","format":"date-time"},
          "u":{"type":"string","format":"uuid"}},"required":["d","t","dt","u"]})g",
       {R"g({"d":"2024-02-29","t":"23:59:59Z","dt":"1999-12-31T00:00:00.5+05:30","u":"123e4567-e89b-12d3-a456-426614174000"})g"},
       {R"g({"d":"2024-13-01","t":"12:00:00Z","dt":"2024-01-01T00:00:00Z","u":"123e4567-e89b-12d3-a456-426614174000"})g",
        R"g({"d":"2024-01-01","t":"24:00:00Z","dt":"2024-01-01T00:00:00Z","u":"123e4567-e89b-12d3-a456-426614174000"})g",
        R"g({"d":"2024-01-01","t":"12:00:00Z","dt":"2024-01-01 00:00:00Z","u":"123e4567-e89b-12d3-a456-426614174000"})g",
        R"g({"d":"2024-01-01","t":"12:00:00Z","dt":"2024-01-01T00:00:00Z","u":"123e4567e89b12d3a456426614174000"})g"}},
      {"enum and const", R"g({"enum":["red","green",3,null,{"a":[1]}]})g", {R"g("red")g", "3", "null", R"g({"a":[1]})g"},
       {R"g("blue")g", "4", R"g({"a": [1]})g"}},
      {"anyOf and type lists", R"g({"anyOf":[{"type":"integer","minimum":0,"maximum":9},{"type":["string","null"]}]})g",
       {"7", R"g("x")g", "null"}, {"10", "true"}},
      {"oneOf", R"g({"oneOf":[{"type":"boolean"},{"type":"array","maxItems":0}]})g", {"true", "[]"}, {"[1]", "1"}},
      {"$ref to $defs, recursive", R"g({"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{
          "v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}}})g",
       {R"g({"v":1})g", R"g({"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4}]}]})g"}, {R"g({"v":1,"kids":[{}]})g"}},
      {"number bounds", R"g({"type":"number","minimum":-5,"maximum":10})g",
       {"-5", "-4.99", "0", "-0.5", "3.14159", "10", "10.00"}, {"-5.01", "10.5", "11", "1e3", "-6"}},
      {"integer exclusive bounds", R"g({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":100})g",
       {"1", "50", "99"}, {"0", "100", "-1", "1.5"}},
      {"any value", "{}", {"1", R"g({"a":[true]})g", R"g("s")g"}, {"", "{"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string gbnf = json_schema_to_gbnf(std::string_view(c.schema));
    for (const auto& s : c.accept) {
      EXPECT_TRUE(grammar_accepts(gbnf, s)) << c.name << ": should accept " << s << "\n" << gbnf;
      ++n;
    }
    for (const auto& s : c.reject) {
      EXPECT_FALSE(grammar_accepts(gbnf, s)) << c.name << ": should reject " << s << "\n" << gbnf;
      ++n;
    }
  }
  std::printf("[json-schema] %zu schemas, %d documents\n", std::size(cases), n);
}

TEST(JsonSchema, IntegerRangesAreExact) {
  using O = std::optional<int64_t>;
  const std::pair<O, O> ranges[] = {{0, 0},     {0, 9},      {1, 100},   {7, 1234},  {-50, 50},  {-1234, -7},
                                    {O{}, 42},  {-42, O{}},  {100, O{}}, {O{}, -10}, {19, 1001}, {-1, 0}};
  for (const auto& [lo, hi] : ranges) {
    std::string gbnf = "root ::= ";
    gbnf += integer_range_gbnf(lo, hi);
    for (int64_t v = -1500; v <= 1500; ++v) {
      const bool in = (!lo || v >= *lo) && (!hi || v <= *hi);
      ASSERT_EQ(grammar_accepts(gbnf, std::to_string(v)), in)
          << v << " in [" << (lo ? std::to_string(*lo) : "-inf") << ", " << (hi ? std::to_string(*hi) : "inf") << "]";
    }
    EXPECT_FALSE(grammar_accepts(gbnf, "007"));
    EXPECT_FALSE(grammar_accepts(gbnf, "-0"));
  }
}

TEST(JsonSchema, NumberRangesAreExact) {
  using O = std::optional<int64_t>;
  const std::pair<O, O> ranges[] = {{0, 1}, {-3, 7}, {-20, -10}, {5, O{}}, {O{}, -2}};
  const char* fractions[] = {"", ".0", ".5", ".999", ".000"};
  for (const auto& [lo, hi] : ranges) {
    std::string gbnf = "root ::= ";
    gbnf += number_range_gbnf(lo, hi);
    for (int64_t i = -30; i <= 30; ++i) {
      for (const char* f : fractions) {
        std::string text = i < 0 ? "-" : "";
        text += std::to_string(i < 0 ? -i : i);
        text += f;
        const double v = std::stod(text);
        const bool in = (!lo || v >= static_cast<double>(*lo)) && (!hi || v <= static_cast<double>(*hi));
        ASSERT_EQ(grammar_accepts(gbnf, text), in) << text;
      }
    }
  }
}

TEST(JsonSchema, UnsupportedOrBrokenSchemasAreClearErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"g({"type":"string","pattern":"^a+$"})g", "'pattern' is not supported"},
      {R"g({"type":"number","minimum":0.5})g", "minimum 0.5 on a number is not expressible"},
      {R"g({"type":"integer","minimum":5,"maximum":1})g", "no value fits"},
      {R"g({"type":"array","minItems":3,"maxItems":1})g", "maxItems 1 is below minItems 3"},
      {R"g({"$ref":"#/$defs/missing"})g", "points nowhere"},
      {R"g({"$ref":"http://example.com/s.json"})g", "only local references"},
      {R"g({"type":"strung"})g", "unknown type 'strung'"},
      {R"g({"allOf":[{"type":"string"},{"minLength":1}]})g", "allOf is supported with exactly one"},
      {R"g({"type": "object",)g", "not valid JSON"},
      {R"g({"properties":{"a":false},"required":["a"]})g", "matches nothing"},
  };
  for (const auto& [schema, expected] : cases) {
    std::string msg;
    try {
      json_schema_to_gbnf(std::string_view(schema));
    } catch (const Error& e) {
      msg = e.what();
    }
    EXPECT_NE(msg.find(expected), std::string::npos) << schema << " -> " << msg;
  }
}

TEST(JsonSchema, PropertyOrderIsKeptAndRuleNamesAreSafe) {
  const std::string gbnf = json_schema_to_gbnf(std::string_view(
      R"g({"type":"object","properties":{"zeta":{"type":"integer"},"alpha value!":{"type":"integer"}},"required":["zeta","alpha value!"]})g"));
  EXPECT_TRUE(grammar_accepts(gbnf, R"g({"zeta":1,"alpha value!":2})g"));
  EXPECT_FALSE(grammar_accepts(gbnf, R"g({"alpha value!":2,"zeta":1})g"));
  EXPECT_NO_THROW(CompiledGrammar::from_gbnf(gbnf));
}

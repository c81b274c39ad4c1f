// Filters, tests and built-in methods.
#include <gtest/gtest.h>

#include "chat/errors.h"
#include "chat/template.h"

namespace hearth::chat::jinja {
namespace {

using json = nlohmann::ordered_json;

std::string render(const std::string& source, const json& ctx = json::object()) {
  return Template(source).render(ctx);
}

std::string error_of(const std::string& source, const json& ctx = json::object()) {
  try {
    Template(source).render(ctx);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JinjaFilters, Strings) {
  EXPECT_EQ(render("{{ '  a b  ' | trim }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hello wORLD' | title }}|"
                   "{{ 'hELLO' | capitalize }}"),
            "a b|ABC|abc|Hello WORLD|HELLO");  // title/capitalize leave the rest as is, like the reference
  EXPECT_EQ(render("{{ '\xC3\xA9" "a b' | title }}"), "\xC3\xA9" "A B");
  EXPECT_EQ(render("{{ 'a\xF0\x9F\x8E\x89' | length }} {{ [1, 2] | length }} {{ {'a': 1} | length }} {{ 'abc' | count }}"),
            "3 2 1 3");
  EXPECT_EQ(render("{{ 'a b a' | replace('a', 'x') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'ab' | replace('', '-') }}"),
            "x b x|bba|-a-b-");
  EXPECT_EQ(render("{{ 'l1\nl2\n\nl4' | indent }}|{{ 'l1\nl2' | indent(2, true) }}|{{ 'a\n\nb' | indent('> ', blank=true) }}"),
            "l1\n    l2\n\n    l4|  l1\n  l2|a\n> \n> b");
  EXPECT_EQ(render("{{ 'xxhixx' | trim('x') }}|{{ '<a href=\"x\">' | e }}"), "hi|&lt;a href=&#34;x&#34;&gt;");
  EXPECT_EQ(render("{{ 'abc' | list }} {{ 'abc' | first }} {{ 'abc' | last }} {{ 'abc' | reverse }}"),
            "[\"a\", \"b\", \"c\"] a c cba");
}

TEST(JinjaFilters, Numbers) {
  EXPECT_EQ(render("{{ '42' | int }} {{ '12abc' | int }} {{ 'x' | int }} {{ 'x' | int(-1) }} {{ 7.9 | int }} "
                   "{{ -7.9 | int }} {{ true | int }}"),
            "42 12 0 -1 7 -8 1");
  EXPECT_EQ(render("{{ '3.5' | float }} {{ ' 1e3x' | float }} {{ 'x' | float }} {{ 3 | float }} {{ -3 | abs }} "
                   "{{ -2.5 | abs }}"),
            "3.5 1000.0 0.0 3.0 3 2.5");
  EXPECT_EQ(render("{{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 2.1 | round(0, 'ceil') }} {{ 12 | string }} "
                   "{{ 2.0 | string }} {{ true | string }} {{ none | string }}"),
            "2.57 3.0 3.0 12 2.0 true None");
}

TEST(JinjaFilters, Lists) {
  EXPECT_EQ(render("{{ [3, 1.5, -2] | sort }} {{ ['b', 'A', 'c', 'B'] | sort | join }} "
                   "{{ ['b', 'A', 'B'] | sort(case_sensitive=true) | join }} {{ [1, 2] | sort(reverse=true) }}"),
            "[-2, 1.5, 3] AbBc ABb [2, 1]");
  EXPECT_EQ(render("{{ [{'n': 'x', 'v': 2}, {'n': 'y', 'v': 1}] | sort(attribute='v') | map(attribute='n') | join }}"),
            "yx");
  EXPECT_EQ(render("{{ [1, 2, 2, '2', 1.0] | unique | list }} {{ [1, 2] | reverse | list }} {{ [1, 2] | first }} "
                   "{{ [1, 2] | last }} [{{ [] | first }}]"),
            "[1, 2, \"2\"] [2, 1] 1 2 []");
  EXPECT_EQ(render("{{ ['a', 1, none, 2.0, true] | join('-') }} {{ ['x', 'y'] | join }} {{ [{'a': 'p'}, {'a': 'q'}] | "
                   "join(',', attribute='a') }}"),
            "a-1--2-true xy p,q");
  EXPECT_EQ(render("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('divisibleby', 2) | list }} "
                   "{{ [0, 1, ''] | select | list }}"),
            "[1, 3] [1, 3] [1]");
  EXPECT_EQ(render("{{ ['a', 'b'] | map('upper') | join }} {{ [1, 2, 3] | batch(2) | list }} "
                   "{{ [1, 2, 3] | batch(2, 0) | list }} {{ [1, 2, 3] | sum }} {{ [1, 2.5] | sum }} "
                   "{{ [3, 1, 2] | max }} {{ [3, 1, 2] | min }}"),
            "AB [[1, 2], [3]] [[1, 2], [3, 0]] 6 3.5 3 1");
}

TEST(JinjaFilters, SelectattrAndMap) {
  const json ctx = {{"ms",
                     {{{"role", "user"}, {"content", "a"}},
                      {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {1}}},
                      {{"role", "user"}, {"content", "b"}}}}};
  EXPECT_EQ(render("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}", ctx), "ab");
  EXPECT_EQ(render("{{ ms | rejectattr('role', 'equalto', 'user') | list | length }}", ctx), "1");
  EXPECT_EQ(render("{{ ms | selectattr('tool_calls') | list | length }}", ctx), "1");
  EXPECT_EQ(render("{{ ms | selectattr('content', 'string') | list | length }}", ctx), "2");
  EXPECT_EQ(render("{{ ms | map(attribute='tool_calls', default='-') | list }}", ctx), "[\"-\", [1], \"-\"]");
  EXPECT_EQ(render("{{ ms | map(attribute='tool_calls.0') | list }}", ctx), "[undefined, 1, undefined]");
  EXPECT_NE(error_of("{{ [1] | map(attribute='x') | list }}").find("must be objects"), std::string::npos);
}

TEST(JinjaFilters, Objects) {
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2, 'C': 3} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value', reverse=true) }}"),
            "[[\"a\", 2], [\"b\", 1], [\"C\", 3]] [[\"a\", 2], [\"b\", 1]]");
  EXPECT_EQ(render("{{ {'x': 1} | items | list }} {{ {'x': 1}.items() }} {{ {'x': 1}.keys() }} {{ {'x': 1}.values() }}"),
            "[[\"x\", 1]] [[\"x\", 1]] [\"x\"] [1]");
  EXPECT_EQ(render("{{ d.get('a') }} {{ d.get('z', 'dflt') }} [{{ d.get('z') }}] {{ d | length }}",
                   {{"d", {{"a", 1}}}}),
            "1 dflt [] 1");
}

TEST(JinjaFilters, Default) {
  EXPECT_EQ(render("{{ nothing | default('d') }} [{{ none | default('d') }}] {{ '' | default('d', true) }} "
                   "{{ 0 | d(5, true) }} {{ 'x' | default('d') }} [{{ nothing | default }}]"),
            "d [] d 5 x []");
}

TEST(JinjaFilters, ToJson) {
  const json ctx = json::parse(R"({"o": {"b": [1, 2.5, "\u00e9\ud83c\udf89\n\"", true, null], "a": {}, "_c": []}})");
  EXPECT_EQ(render("{{ o | tojson }}", ctx), "{\"b\": [1, 2.5, \"\xC3\xA9\xF0\x9F\x8E\x89\\n\\\"\", true, null], \"a\": {}, \"_c\": []}");
  EXPECT_EQ(render("{{ o | tojson(indent=2) }}", ctx),
            "{\n  \"b\": [\n    1,\n    2.5,\n    \"\xC3\xA9\xF0\x9F\x8E\x89\\n\\\"\",\n    true,\n    null\n  ],\n"
            "  \"a\": {},\n  \"_c\": []\n}");
  EXPECT_EQ(render("{{ o | tojson(sort_keys=true) }}", ctx),
            "{\"_c\": [], \"a\": {}, \"b\": [1, 2.5, \"\xC3\xA9\xF0\x9F\x8E\x89\\n\\\"\", true, null]}");
  EXPECT_EQ(render("{{ o.b | tojson(ensure_ascii=true) }}", ctx), "[1, 2.5, \"\\u00e9\\ud83c\\udf89\\n\\\"\", true, null]");
  EXPECT_EQ(render("{{ o.a | tojson(separators=(',', ':')) }}{{ [1, {'k': 2}] | tojson(separators=(',', ':')) }}", ctx),
            "{}[1,{\"k\":2}]");
  EXPECT_EQ(render("{{ nothing | tojson }} {{ 3.0 | tojson }} {{ 'x\x01' | tojson }}"), "null 3 \"x\\u0001\"");
}

TEST(JinjaFilters, UnknownFilterAndBadOperands) {
  EXPECT_NE(error_of("{{ 1 | nosuch }}").find("unknown filter 'nosuch'"), std::string::npos);
  EXPECT_NE(error_of("{{ nothing | length }}").find("cannot be applied to a value of type undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ 5 | upper }}").find("type integer"), std::string::npos);
}

TEST(JinjaTests, BuiltinTests) {
  EXPECT_EQ(render("{{ 1 is number }}{{ 1.5 is integer }}{{ 'x' is string }}{{ [] is iterable }}{{ {} is mapping }}"
                   "{{ {} is iterable }}{{ 'x' is sequence }}{{ none is none }}{{ true is boolean }}{{ false is false }}"
                   "{{ 1 is true }}{{ 3 is odd }}{{ 4 is even }}{{ 'abc' is lower }}{{ 'ABC' is upper }}"
                   "{{ range is callable }}{{ x is undefined }}{{ x is defined }}{{ 1.5 is float }}"),
            "truefalsetruetruetruefalsetruetruetruetruefalsetruetruetruetruetruetruefalsetrue");
  EXPECT_EQ(render("{{ 6 is divisibleby 3 }}{{ 6 is divisibleby(4) }}{{ 2 is in [1, 2] }}{{ 3 is gt 2 }}"
                   "{{ 'a' is eq 'a' }}{{ 1 is ne 2 }}{{ 2 is le(2) }}{{ x is not defined }}{{ 1 is not string }}"),
            "truefalsetruetruetruetruetruetruetrue");
  EXPECT_NE(error_of("{{ 1 is nosuchtest }}").find("unknown test 'nosuchtest'"), std::string::npos);
  EXPECT_NE(error_of("{{ 1.5 is odd }}").find("needs an integer"), std::string::npos);
}

TEST(JinjaMethods, StringMethods) {
  EXPECT_EQ(render("{{ ' \nabc\n '.strip('\n') }}|{{ '  a '.lstrip() }}|{{ ' a  '.rstrip() }}"),
            "abc|a | a");  // the reference ignores strip's argument
  EXPECT_EQ(render("{{ 'a b  c '.split() }} {{ 'a b  c '.split(none, 1) }} {{ 'a,b,,c'.split(',') }} "
                   "{{ 'a,b,c'.split(',', 1) }} {{ ''.split() }}"),
            "[\"a\", \"b\", \"c\"] [\"a\", \"b  c \"] [\"a\", \"b\", \"\", \"c\"] [\"a\", \"b,c\"] []");
  EXPECT_EQ(render("{{ 'Hi!'.startswith('H') }}{{ 'Hi!'.endswith(('?', '!')) }}{{ 'Hi'.startswith(('x', 'y')) }}"),
            "truetruefalse");
  EXPECT_EQ(render("{{ 'aXbX'.replace('X', '-') }} {{ 'aXbX'.replace('X', '-', 1) }} {{ 'ab'.upper() }} "
                   "{{ 'AB'.lower() }} {{ 'ab cd'.title() }} {{ 'ab'.capitalize() }}"),
            "a-b- a-bX AB ab Ab Cd Ab");
  // Jinja/Python methods the reference lacks.
  EXPECT_EQ(render("{{ 'h\xC3\xA9llo'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} "
                   "{{ 'a-b-c'.count('-') }} {{ ', '.join(['a', 'b']) }} {{ '{} and {name} {0}'.format(1, name='x') }} "
                   "{{ 'x'.zfill(3) }} {{ 'l1\nl2'.splitlines() }} {{ '42'.isdigit() }} {{ 'ab'.isupper() }} "
                   "{{ 'pre_x'.removeprefix('pre_') }}"),
            "2 3 -1 2 a, b 1 and x 1 00x [\"l1\", \"l2\"] true false x");
  EXPECT_EQ(render("{% set f = 'abc'.upper %}{{ f() }}"), "ABC");
  EXPECT_NE(error_of("{{ 'a'.split('') }}").find("separator is empty"), std::string::npos);
}

TEST(JinjaMethods, ListMethods) {
  EXPECT_EQ(render("{% set l = [1] %}{% set _ = l.append(2) %}{{ l }} {{ l.index(2) }} {{ l.count(1) }} "
                   "{{ l.pop() }} {{ l }}"),
            "[1, 2] 1 1 2 [1]");
}

}  // namespace
}  // namespace hearth::chat::jinja

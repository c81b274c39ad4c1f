// Evaluation: values, operators, statements, macros and scoping. Expectations follow the
// reference renderer where it defines the behaviour, and Jinja where hearth goes beyond it.
#include <gtest/gtest.h>

#include "chat/errors.h"
#include "chat/template.h"

namespace hearth::chat::jinja {
namespace {

using json = nlohmann::ordered_json;

std::string render(const std::string& source, const json& ctx = json::object(), const RenderSettings& s = {}) {
  return Template(source).render(ctx, s);
}

std::string error_of(const std::string& source, const json& ctx = json::object(), const RenderSettings& s = {}) {
  try {
    Template(source).render(ctx, s);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JinjaEval, PrintingValues) {
  EXPECT_EQ(render("{{ 3.0 }} {{ 2.5 }} {{ 10 / 4 }} {{ 4 / 2 }} {{ 1 / 3 }}"), "3.0 2.5 2.5 2.0 0.3333333333333333");
  EXPECT_EQ(render("{{ true }} {{ false }} [{{ none }}] [{{ undefined_name }}]"), "true false [] []");
  EXPECT_EQ(render("{{ [1, none, 'a', 2.0, true] }}"), "[1, null, \"a\", 2, true]");
  EXPECT_EQ(render("{{ {'a': nothing} }}"), "{\"a\": undefined}");
  EXPECT_EQ(render("{{ 2 ** 70 }}"), "1.1805916207174113e+21");
  EXPECT_EQ(render("{{ x }} {{ x is integer }} {{ y }}", {{"x", 3.0}, {"y", 0.5}}), "3 true 0.5");
}

TEST(JinjaEval, Arithmetic) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 5.5 % 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }}"),
            "3 -4 1 -1 1.5 1024 0.5");
  EXPECT_EQ(render("{{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"), "3 9 64 4");
  EXPECT_EQ(render("{{ 1.5 + 1 }} {{ 3 - 1.0 }}"), "2.5 2.0");
  EXPECT_NE(error_of("{{ 1 / 0 }}").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("{{ 1 % 0 }}").find("modulo by zero"), std::string::npos);
}

TEST(JinjaEval, StringConcatenationUsesJavaScriptConversions) {
  EXPECT_EQ(render("{{ 'a' + 1 + 2.0 + true }}"), "a12true");
  EXPECT_EQ(render("{{ 'a' ~ 1 ~ 2.5 ~ [1, 2] ~ {'k': 1} }}"), "a12.51,2[object Map]");
  EXPECT_NE(error_of("{{ 'a' ~ none }}").find("none"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a' + nothing }}").find("undefined"), std::string::npos);
  EXPECT_EQ(render("{{ 'ab' * 3 }}{{ 2 * 'x' }}"), "abababxx");  // Jinja, not in the reference
}

TEST(JinjaEval, ComparisonsAndMembership) {
  EXPECT_EQ(render("{{ 1 == 1.0 }} {{ true == 1 }} {{ '1' == 1 }} {{ none == nothing }} {{ [] == [] }} {{ 'a' != 'b' }}"),
            "true true true true false true");
  EXPECT_EQ(render("{{ 1 < 2 }} {{ 2.5 >= 2 }} {{ 'abc' < 'abd' }}"), "true true true");
  EXPECT_EQ(render("{{ 1 in [1, 2] }} {{ '1' in [1] }} {{ 'b' in 'abc' }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}"),
            "true false true true true");
  EXPECT_EQ(render("{{ 1 in nothing }} {{ 1 not in nothing }}"), "false true");
  EXPECT_NE(error_of("{{ nothing in [1] }}").find("undefined"), std::string::npos);
}

TEST(JinjaEval, LogicReturnsOperands) {
  EXPECT_EQ(render("{{ true and 'both' }}|{{ '' or 'fallback' }}|{{ 0 or none }}|{{ [] and 'x' }}|{{ not [] }}"),
            "both|fallback||[]|true");
  EXPECT_EQ(render("{{ 'yes' if 1 > 2 else 'no' if 2 > 3 else 'neither' }}|{{ 'kept' if true }}|{{ 'gone' if false }}"),
            "neither|kept|");
}

TEST(JinjaEval, MemberAccess) {
  const json ctx = {{"m", {{"role", "user"}, {"items", 5}}}, {"l", {10, 20, 30}}, {"s", "h\xC3\xA9llo"}};
  EXPECT_EQ(render("{{ m.role }} {{ m['role'] }} {{ m.items }} {{ m.missing }}|{{ m.missing.deeper }}|", ctx),
            "user user 5 ||");
  EXPECT_EQ(render("{{ l[0] }} {{ l[-1] }} {{ l.1 }} [{{ l[5] }}] {{ l.length }} {{ s[1] }} {{ s.length }}", ctx),
            "10 30 20 [] 3 \xC3\xA9 5");
  EXPECT_EQ(render("{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ s[::-1] }} {{ s[1:3] }}", ctx),
            "[20, 30] [10, 20] [30, 20, 10] [10, 30] oll\xC3\xA9h \xC3\xA9l");
  EXPECT_NE(error_of("{{ nothing[0] }}").find("cannot access a member"), std::string::npos);
  EXPECT_NE(error_of("{{ m[0] }}", ctx).find("key of type integer"), std::string::npos);
  EXPECT_NE(error_of("{{ m.role.nosuch() }}", ctx).find("not a method"), std::string::npos);
}

TEST(JinjaEval, IfElifElse) {
  const std::string t = "{% if x == 1 %}one{% elif x == 2 %}two{% elif x == 3 %}three{% else %}many{% endif %}";
  EXPECT_EQ(render(t, {{"x", 1}}), "one");
  EXPECT_EQ(render(t, {{"x", 3}}), "three");
  EXPECT_EQ(render(t, {{"x", 9}}), "many");
}

TEST(JinjaEval, ForLoopVariables) {
  EXPECT_EQ(render("{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
                   "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
                   "{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }};{% endfor %}"),
            "1032truefalse3-b;2121falsefalse3ac;3210falsetrue3b-;");
}

TEST(JinjaEval, ForLoopForms) {
  EXPECT_EQ(render("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}"), "37");
  EXPECT_EQ(render("{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}"), "xy");
  EXPECT_EQ(render("{% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }} {% endfor %}"), "x=1 y=2 ");
  EXPECT_EQ(render("{% for k, v in {'x': 1} | items %}{{ k }}{{ v }}{% endfor %}"), "x1");
  EXPECT_EQ(render("{% for x in [] %}no{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "2/2 4/2 ");
  EXPECT_EQ(render("{% for c in 'ab' %}[{{ c }}]{% endfor %}"), "[a][b]");  // Jinja, not in the reference
  EXPECT_NE(error_of("{% for a, b in [[1]] %}{% endfor %}").find("too few items to unpack"), std::string::npos);
  EXPECT_NE(error_of("{% for x in 5 %}{% endfor %}").find("cannot iterate"), std::string::npos);
  EXPECT_NE(error_of("{% for x in nothing %}{% endfor %}").find("cannot iterate"), std::string::npos);
}

TEST(JinjaEval, BreakAndContinueAsInTheReference) {
  // The reference drops an iteration's output when it is left by break/continue, and runs the
  // else block unless some iteration completed.
  EXPECT_EQ(render("{% for i in [1, 2, 3] %}[{{ i }}{% if i == 2 %}{% continue %}{% endif %}]{% endfor %}"), "[1][3]");
  EXPECT_EQ(render("{% for i in [1, 2, 3] %}{{ i }}{% if i == 2 %}{% break %}{% endif %}{% endfor %}"), "1");
  EXPECT_EQ(render("{% for i in [1] %}x{% break %}{% else %}else{% endfor %}"), "else");
  EXPECT_NE(error_of("{% break %}").find("outside of a loop"), std::string::npos);
}

TEST(JinjaEval, SetAndScoping) {
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set t %}  in {{ 1 + 1 }} {% endset %}[{{ t }}]"), "[  in 2 ]");
  EXPECT_EQ(render("{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}"
                   "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }} {{ ns }}"),
            "6 0123 {\"n\": 6, \"s\": \"0123\"}");
  EXPECT_EQ(render("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}"), "12");
  EXPECT_NE(error_of("{% set d = {} %}{% set d.x = 1 %}").find("only namespace() objects"), std::string::npos);
  EXPECT_NE(error_of("{% set a, b = [1] %}").find("too few"), std::string::npos);
}

TEST(JinjaEval, Macros) {
  EXPECT_EQ(render("{% macro m(a, b='B', c=a ~ '!') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 2) }}|"
                   "{{ m('x', c='C') }}"),
            "1B1!|121!|xBC");
  EXPECT_EQ(render("{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"),
            "1[2, 3]{\"k\": 4}");
  EXPECT_EQ(render("{% macro f(n) %}{{ n }}{% if n > 0 %},{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}"),
            "3,2,1,0");
  // Macros see the caller's variables (the reference's dynamic scoping).
  EXPECT_EQ(render("{% macro show() %}{{ item }}{% endmacro %}{% for item in [1, 2] %}{{ show() }}{% endfor %}"), "12");
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}").find("nested deeper than"),
            std::string::npos);
}

TEST(JinjaEval, CallAndFilterBlocks) {
  EXPECT_EQ(render("{% macro box(t) %}[{{ t }}|{{ caller() }}]{% endmacro %}{% call box('x') %}body{% endcall %}"),
            "[x|body]");
  EXPECT_EQ(render("{% macro w(tag) %}<{{ caller(tag | upper) }}>{% endmacro %}"
                   "{% call(t) w('b') %}{{ t }}{{ t }}{% endcall %}"),
            "<BB>");
  EXPECT_EQ(render("{% filter upper %}shout {{ 'it' }}{% endfilter %}!"), "SHOUT IT!");
  EXPECT_EQ(render("{% filter replace('a', 'o') %}banana{% endfilter %}"), "bonono");
}

TEST(JinjaEval, RaiseExceptionIsTemplateRaisedWithTheExactMessage) {
  try {
    render("{{ raise_exception('Conversation roles must alternate') }}");
    FAIL();
  } catch (const TemplateRaised& e) {
    EXPECT_STREQ(e.what(), "Conversation roles must alternate");
  }
  EXPECT_THROW(render("{% if true %}{{ raise_exception('x') }}{% endif %}"), hearth::Error);
}

TEST(JinjaEval, StrftimeNowUsesTheSettingsClock) {
  RenderSettings s;
  s.now = [] {
    std::tm tm{};
    tm.tm_year = 124, tm.tm_mon = 6, tm.tm_mday = 6, tm.tm_hour = 9, tm.tm_min = 5;
    return tm;
  };
  EXPECT_EQ(render("{{ strftime_now('%d %b %Y|%B|%Y-%m-%d %H:%M|%%|%A|%Q') }}", json::object(), s),
            "06 Jul 2024|July|2024-07-06 09:05|%|%A|%Q");
  EXPECT_EQ(render("{{ strftime_now('%Y') | length }}"), "4");  // the real clock
}

TEST(JinjaEval, GlobalsAndConstants) {
  EXPECT_EQ(render("{{ True }}{{ False }}{{ None is none }}{{ range(3) }}{{ range(1, 7, 2) }}{{ range(3, 0, -1) }}"),
            "truefalsetrue[0, 1, 2][1, 3, 5][3, 2, 1]");
  EXPECT_EQ(render("{{ dict(a=1, b=[2]) | tojson }}"), "{\"a\": 1, \"b\": [2]}");
  EXPECT_NE(error_of("{{ range(0, 5, 0) }}").find("step"), std::string::npos);
  EXPECT_NE(error_of("{{ nosuchfunction() }}").find("'nosuchfunction' is not a function"), std::string::npos);
}

TEST(JinjaEval, RuntimeErrorsNameThePosition) {
  const std::string err = error_of("ok\n  {{ messages[0].content | trim }}", {{"messages", {{{"content", nullptr}}}}});
  EXPECT_NE(err.find("template: line 2, column 28"), std::string::npos) << err;
  EXPECT_NE(err.find("filter 'trim' cannot be applied to a value of type none"), std::string::npos) << err;
}

TEST(JinjaEval, LimitsStopRunawayTemplates) {
  RenderSettings small;
  small.max_steps = 100000;
  EXPECT_NE(error_of("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", json::object(),
                     small)
                .find("steps"),
            std::string::npos);
  small.max_output_bytes = 1000;
  EXPECT_NE(error_of("{% for i in range(2000) %}x{% endfor %}", json::object(), small).find("byte limit"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                     json::object(), small)
                .find("byte limit"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(10000000) | length }}").find("longer than"), std::string::npos);
  EXPECT_NE(error_of("{{ 'ab' * 100000000000 }}").find("byte limit"), std::string::npos);
}

TEST(JinjaEval, DeepAndCyclicValuesFailCleanly) {
  // 200k nested lists: building and freeing them must not recurse on the stack.
  EXPECT_EQ(render("{% set ns = namespace(x=[]) %}{% for i in range(200000) %}{% set ns.x = [ns.x] %}{% endfor %}"
                   "{{ ns.x | length }}"),
            "1");
  EXPECT_NE(error_of("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}"
                     "{{ ns.x }}")
                .find("nested deeper"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns | tojson }}").find("nested deeper"),
            std::string::npos);
  EXPECT_EQ(render("{% set l = [] %}{% set _ = l.append(l) %}{{ l | length }}"), "1");
}

}  // namespace
}  // namespace hearth::chat::jinja

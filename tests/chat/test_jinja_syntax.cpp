// The template language: whitespace control, comments, literals, syntax errors with positions.
#include <gtest/gtest.h>

#include "chat/errors.h"
#include "chat/template.h"
#include "chat/text.h"

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

TEST(JinjaSyntax, TextAndExpressions) {
  EXPECT_EQ(render("plain text"), "plain text");
  EXPECT_EQ(render("{{ 'a' }}{{ \"b\" }}{{ 'c' 'd' }}"), "abcd");
  EXPECT_EQ(render("{{ x }}-{{ y.z }}", {{"x", "X"}, {"y", {{"z", 5}}}}), "X-5");
  EXPECT_EQ(render(""), "");
}

TEST(JinjaSyntax, StringEscapes) {
  EXPECT_EQ(render(R"({{ 'a\nb\t\'\"\\' }})"), "a\nb\t'\"\\");
  EXPECT_EQ(render(R"({{ '\x41\u00e9\ud83c\udf89' }})"), "A\xC3\xA9\xF0\x9F\x8E\x89");
  EXPECT_EQ(render(R"({{ '\d' }})"), "\\d");  // unknown escapes stay, as in Python
}

TEST(JinjaSyntax, WhitespaceControlMarkers) {
  EXPECT_EQ(render("a  {{- ' b ' -}}  c"), "a b c");
  EXPECT_EQ(render("a \n {%- if true -%} \n b {%- endif %}"), "ab");
  EXPECT_EQ(render("a {#- comment -#} b"), "ab");
  EXPECT_EQ(render("a{# comment #}b"), "ab");
}

TEST(JinjaSyntax, TrimAndLstripBlocksAsTransformersConfiguresThem) {
  EXPECT_EQ(render("{% if true %}\nx\n{% endif %}\ny"), "x\ny");
  EXPECT_EQ(render("  {% if true %}x{% endif %}"), "x");
  EXPECT_EQ(render("  {{ 'x' }}"), "  x");  // expressions are not lstripped
  EXPECT_EQ(render("a\n  {# c #}\nb"), "a\nb");
  EXPECT_EQ(render("abc\n"), "abc");  // a single trailing newline is dropped
  EXPECT_EQ(render("abc\n\n"), "abc\n");
}

TEST(JinjaSyntax, GenerationTagsAreRemoved) {
  EXPECT_EQ(render("x{% generation %}y{% endgeneration %}z"), "xyz");
  EXPECT_EQ(render("a {% generation %} b"), "a  b");
  EXPECT_EQ(render("a {%- generation -%} b"), "ab");
}

TEST(JinjaSyntax, RawBlocks) {
  EXPECT_EQ(render("{% raw %}{{ x }}{% if %}{% endraw %}!"), "{{ x }}{% if %}!");
  EXPECT_EQ(render("a {%- raw -%}  x  {%- endraw -%}  b"), "axb");
}

TEST(JinjaSyntax, ObjectLiteralClosingBracesInsideExpression) {
  EXPECT_EQ(render("{{ {'a': {'b': 1}} }}"), "{\"a\": {\"b\": 1}}");
  EXPECT_EQ(render("{{ {'k': [1, 2], 'e': {}} | tojson }}"), "{\"k\": [1, 2], \"e\": {}}");
}

TEST(JinjaSyntax, SyntaxErrorsNameLineAndColumn) {
  EXPECT_NE(error_of("line1\n{{ 1 + }}").find("line 2, column 8"), std::string::npos) << error_of("line1\n{{ 1 + }}");
  EXPECT_NE(error_of("{{ $ }}").find("line 1, column 4: unexpected character '$'"), std::string::npos);
  EXPECT_NE(error_of("\xC3\xA9\xC3\xA9{{ $ }}").find("line 1, column 6"), std::string::npos);  // code points
  EXPECT_NE(error_of("{% if x %}\nabc").find("expected {% elif %} or {% else %} or {% endif %}"), std::string::npos)
      << error_of("{% if x %}\nabc");
  EXPECT_NE(error_of("{% foo %}").find("unknown statement 'foo'"), std::string::npos);
  EXPECT_NE(error_of("{{ 'abc }}").find("unterminated string"), std::string::npos);
  EXPECT_NE(error_of("{# never closed").find("missing end of comment"), std::string::npos);
  EXPECT_NE(error_of("{% for 1 in x %}{% endfor %}").find("loop variable"), std::string::npos);
  EXPECT_NE(error_of("{% macro m(a=1, b) %}{% endmacro %}").find("non-default parameter"), std::string::npos);
  EXPECT_NE(error_of("{{ f(a=1, 2) }}").find("positional argument follows keyword"), std::string::npos);
  EXPECT_NE(error_of("{{ x[] }}").find("expected an index"), std::string::npos);
  EXPECT_NE(error_of("{{ x }").find("syntax error"), std::string::npos);
  EXPECT_NE(error_of("{% raw %}abc").find("endraw"), std::string::npos);
}

TEST(JinjaSyntax, SyntaxErrorsCarryTheTemplateName) {
  try {
    Template("{{ 1 +", "my.jinja");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("my.jinja: syntax error: line 1")) << e.what();
  }
}

TEST(JinjaSyntax, LinesCountInTheOriginalSourceAfterTrimBlocks) {
  // trim_blocks removes newlines before tokenizing; positions still refer to the source.
  const std::string src = "{% if true %}\n{% if true %}\n{{ nosuch | nofilter }}\n{% endif %}{% endif %}";
  const std::string err = error_of(src);
  EXPECT_NE(err.find("line 3, column 13"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown filter 'nofilter'"), std::string::npos) << err;
}

TEST(JinjaSyntax, NestingIsBounded) {
  std::string deep = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  EXPECT_NE(error_of(deep).find("nested deeper"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 300; ++i) ifs += "{% if true %}";
  for (int i = 0; i < 300; ++i) ifs += "{% endif %}";
  EXPECT_NE(error_of(ifs).find("nested deeper"), std::string::npos);
  std::string nots = "{{ " ;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  nots += "x }}";
  EXPECT_NE(error_of(nots).find("nested deeper"), std::string::npos);
  std::string ok = "{{ " + std::string(40, '(') + "1" + std::string(40, ')') + " }}";
  EXPECT_EQ(render(ok), "1");
}

TEST(JinjaText, JavaScriptNumberFormatting) {
  EXPECT_EQ(text::js_number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(text::js_number(1e21), "1e+21");
  EXPECT_EQ(text::js_number(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(text::js_number(1e-7), "1e-7");
  EXPECT_EQ(text::js_number(0.000001), "0.000001");
  EXPECT_EQ(text::js_number(-1.5e300), "-1.5e+300");
  EXPECT_EQ(text::js_number(-0.0), "0");
  EXPECT_EQ(text::js_float_display(3.0), "3.0");
  EXPECT_EQ(text::js_float_display(-0.0), "-0.0");
  EXPECT_EQ(text::js_float_display(2.5), "2.5");
  EXPECT_EQ(text::js_float_display(1e21), "1e+21");
  EXPECT_EQ(text::js_float_display(1e20), "100000000000000000000.0");
}

TEST(JinjaText, LocaleCompareFollowsTheRootCollation) {
  EXPECT_LT(text::locale_compare("_a", "a"), 0);
  EXPECT_LT(text::locale_compare("a", "A"), 0);
  EXPECT_LT(text::locale_compare("A", "b"), 0);
  EXPECT_LT(text::locale_compare("aB", "Ab"), 0);
  EXPECT_LT(text::locale_compare("a b", "a_"), 0);
  EXPECT_LT(text::locale_compare("a-b", "a1"), 0);
  EXPECT_LT(text::locale_compare("a1", "ab"), 0);
  EXPECT_EQ(text::locale_compare("a\x01" "b", "ab"), 0);
}

TEST(JinjaText, JavaScriptWhitespaceAndCase) {
  EXPECT_EQ(text::trim_js("\xC2\xA0 x \xE3\x80\x80\n"), "x");
  EXPECT_EQ(text::to_upper("stra\xC3\x9F" "e \xC3\xA9\xCE\xB1\xD0\xB6"), "STRASSE \xC3\x89\xCE\x91\xD0\x96");
  EXPECT_EQ(text::to_lower("\xC3\x89\xCE\x91\xD0\x96 ABC"), "\xC3\xA9\xCE\xB1\xD0\xB6 abc");
  EXPECT_EQ(text::utf16_length("a\xF0\x9F\x8E\x89"), 3u);
  EXPECT_EQ(*text::js_parse_int("  -42px"), -42);
  EXPECT_FALSE(text::js_parse_int("px"));
  EXPECT_EQ(*text::js_parse_float(" 3.5e2x"), 350);
  EXPECT_EQ(*text::js_to_number(" 0x10 "), 16);
  EXPECT_FALSE(text::js_to_number("12px"));
}

}  // namespace
}  // namespace hearth::chat::jinja

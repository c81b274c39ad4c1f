// Hostile templates: random token soups and mutated real templates either render or fail with a
// hearth::Error -- never a crash, a hang or another exception (run under ASan/UBSan too).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "chat/chat_template.h"
#include "chat/template.h"
#include "gguf/reader.h"
#include "test_support.h"

namespace hearth::chat {
namespace {

using json = nlohmann::ordered_json;

const json& context() {
  static const json ctx = json::parse(R"({
    "messages": [
      {"role": "system", "content": "sys"},
      {"role": "user", "content": "Hi \u00e9 \ud83c\udf89"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "1", "type": "function",
        "function": {"name": "f", "arguments": {"a": [1, 2.5, null]}}}]},
      {"role": "tool", "content": "42"},
      {"role": "assistant", "content": "<think>\nx\n</think>\n\ndone"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
      "properties": {"a": {"type": "array"}}}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  return ctx;
}

jinja::RenderSettings tight() {
  jinja::RenderSettings s;
  s.max_steps = 20000;
  s.max_output_bytes = 1 << 20;
  return s;
}

// Renders; any hearth::Error is an acceptable outcome. Returns whether it rendered.
bool try_render(const std::string& source) {
  try {
    jinja::Template t(source, "fuzz");
    t.render(context(), tight());
    return true;
  } catch (const Error&) {
    return false;
  }
}

TEST(ChatRobustness, RandomTokenSoups) {
  static const std::vector<std::string> pieces = {
      "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " if ", " for ", " in ", " endif ", " endfor ",
      " set ", "=", " x ", " messages ", " loop ", ".", "[", "]", "(", ")", "'a'", "\"b\"", "1", "2.5", "|", "trim",
      "length", " is ", "defined", " not ", " and ", " or ", "+", "~", "*", "**", "//", "%", ",", ":", "{", "}",
      " macro ", " endmacro ", " call ", "caller()", " else ", " elif ", "namespace(", " ns ", " raw ", " endraw ",
      " ", "\n", "-", "tojson", "items", "range(3)", "none", " break ", " continue ", " filter ", " endfilter ",
      "upper", "'", "\\", "\xC3\xA9", "\xF0\x9F\x8E\x89", "\xFF", "loop.index", "[0]", "[::-1]", " if x else ",
      "tools", "content", "role", "m", "recursive", "generation", "endgeneration", "raise_exception('r')",
      "strftime_now('%Y')", "select", "map(attribute='role')", "selectattr('role')", "dictsort", "join(',')"};
  std::mt19937 rng(12345);
  int rendered = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string src;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int k = 0; k < n; ++k) src += pieces[rng() % pieces.size()];
    rendered += try_render(src);
  }
  EXPECT_GT(rendered, 0);
}

TEST(ChatRobustness, StructuredRandomTemplates) {
  // Well-formed skeletons with random expressions exercise the evaluator more than soups do.
  static const std::vector<std::string> exprs = {
      "messages", "messages[0]", "messages[-1].content", "m.role", "m.content | trim", "loop.index", "tools",
      "tools[0].function.parameters | tojson(indent=2)", "ns.n", "x", "'s' ~ 1", "1 / 3", "[1, 'a'] + [none]",
      "{'k': m}", "m.content.split('\\n')", "m.tool_calls | default([])", "range(4) | sum", "m is mapping",
      "messages | map(attribute='role') | unique | list", "'abc'[::-1]", "m.get('role', 0)", "none", "nothing.attr",
      "m.content is string and m.content.startswith('<')", "(m.content or '') | length", "-1 ** 2", "7 // 0",
      "messages | selectattr('role', 'equalto', 'user') | list", "m['tool_calls'][0]['function']['arguments']"};
  static const std::vector<std::string> shapes = {
      "{{ A }}", "{% if A %}{{ B }}{% else %}{{ C }}{% endif %}", "{% for m in A %}{{ B }}{% endfor %}",
      "{% set ns = namespace(n=A) %}{% set ns.n = B %}{{ ns.n }}", "{% set x = A %}{{ x }}{{ B }}",
      "{% for m in messages %}{% if A %}{% continue %}{% endif %}{{ B }}{% endfor %}",
      "{% macro f(a, b=A) %}{{ a }}{{ b }}{% endmacro %}{{ f(B) }}", "{{ A if B else C }}",
      "{% for m in messages if A %}{{ loop.length }}{{ B }}{% else %}{{ C }}{% endfor %}",
      "{% filter upper %}{{ A }}{% endfilter %}{{ B | tojson }}"};
  std::mt19937 rng(777);
  int rendered = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string src = shapes[rng() % shapes.size()];
    for (const char* slot : {"A", "B", "C"}) {
      const size_t at = src.find(std::string(" ") + slot + " ");
      if (at != std::string::npos) src.replace(at + 1, 1, exprs[rng() % exprs.size()]);
    }
    rendered += try_render(src);
  }
  EXPECT_GT(rendered, 300);
}

TEST(ChatRobustness, MutatedRealTemplates) {
  std::vector<std::string> sources;
  const std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path() / "templates";
  for (const auto& p : test::files_with_extension(dir, ".jinja")) sources.push_back(test::read_file(p));
  sources.push_back(ChatTemplate::from_gguf(gguf::File::open(test::model_path("tiny-qwen3.F16.gguf"))).source());
  ASSERT_GE(sources.size(), 5u);
  for (const auto& s : sources) EXPECT_NO_THROW(jinja::Template(s, "original"));

  std::mt19937 rng(4242);
  for (int i = 0; i < 1500; ++i) {
    std::string src = sources[rng() % sources.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !src.empty(); ++e) {
      const size_t at = rng() % src.size();
      switch (rng() % 4) {
        case 0: src.erase(at, 1 + rng() % 8); break;
        case 1: src.insert(at, 1, "{}%#-|'\"()[].,\n"[rng() % 16]); break;
        case 2: src.insert(at, src.substr(rng() % src.size(), rng() % 40)); break;
        default: src[at] = static_cast<char>(rng() % 256); break;
      }
    }
    try_render(src);
  }
}

}  // namespace
}  // namespace hearth::chat

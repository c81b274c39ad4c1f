// Tool calls in model output: Llama 3 JSON / <|python_tag|> and Qwen/Hermes <tool_call> blocks.
#include <gtest/gtest.h>

#include "chat/tool_calls.h"

namespace hearth::chat {
namespace {

TEST(ToolCalls, DetectsTheStyleFromTheTemplate) {
  EXPECT_EQ(detect_tool_call_style("...<tool_call>\\n{\"name\": ..."), ToolCallStyle::Hermes);
  EXPECT_EQ(detect_tool_call_style("{{ '<|python_tag|>' }}"), ToolCallStyle::Llama3);
  EXPECT_EQ(detect_tool_call_style("<|start_header_id|>ipython<|end_header_id|>"), ToolCallStyle::Llama3);
  EXPECT_EQ(detect_tool_call_style("{{ messages }}"), ToolCallStyle::None);
  EXPECT_EQ(tool_call_style_name(ToolCallStyle::Hermes), "hermes");
}

TEST(ToolCalls, HermesSingleCall) {
  const auto r = parse_tool_calls(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>",
      ToolCallStyle::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments_json(), "{\"city\":\"Paris\",\"unit\":\"celsius\"}");  // key order kept
}

TEST(ToolCalls, HermesSeveralCallsWithText) {
  const auto r = parse_tool_calls(
      "Let me check both.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"b\", \"arguments\": \"{\\\"x\\\": [1, 2]}\"}\n</tool_call>",
      ToolCallStyle::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.content, "Let me check both.");
  EXPECT_EQ(r.tool_calls[0].name, "a");
  EXPECT_EQ(r.tool_calls[1].name, "b");
  EXPECT_EQ(r.tool_calls[1].arguments_json(), "{\"x\":[1,2]}");  // string arguments are parsed
}

TEST(ToolCalls, HermesUnclosedFinalBlockAndBadBlocks) {
  auto r = parse_tool_calls("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"k\": \"}\"}}", ToolCallStyle::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments["k"], "}");

  const std::string bad = "<tool_call>\n{\"name\": \"a\", \"arguments\": {broken}\n</tool_call>";
  r = parse_tool_calls(bad, ToolCallStyle::Hermes);
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content, bad);

  r = parse_tool_calls("x <tool_call>{\"arguments\": {}}</tool_call> <tool_call>{\"name\": \"ok\"}</tool_call>",
                       ToolCallStyle::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 1u);  // the nameless block stays in the content
  EXPECT_EQ(r.tool_calls[0].name, "ok");
  EXPECT_EQ(r.content, "x <tool_call>{\"arguments\": {}}</tool_call>");

  r = parse_tool_calls("No tools here.", ToolCallStyle::Hermes);
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content, "No tools here.");
}

TEST(ToolCalls, Llama3PlainJson) {
  auto r = parse_tool_calls("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", ToolCallStyle::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments_json(), "{\"city\":\"Paris\"}");

  r = parse_tool_calls("  {\"type\": \"function\", \"name\": \"f\", \"arguments\": {\"n\": 1}}<|eot_id|>\n",
                       ToolCallStyle::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments_json(), "{\"n\":1}");
}

TEST(ToolCalls, Llama3PythonTag) {
  auto r = parse_tool_calls(
      "Checking.<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": 1}}; {\"name\": \"b\", \"parameters\": {}}<|eom_id|>",
      ToolCallStyle::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.content, "Checking.");
  EXPECT_EQ(r.tool_calls[0].name, "a");
  EXPECT_EQ(r.tool_calls[1].name, "b");

  r = parse_tool_calls("<|python_tag|>brave_search.call(query=\"weather in \\\"Paris\\\"\", count=3, safe=True)",
                       ToolCallStyle::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "brave_search");
  EXPECT_EQ(r.tool_calls[0].arguments_json(), "{\"query\":\"weather in \\\"Paris\\\"\",\"count\":3,\"safe\":true}");
}

TEST(ToolCalls, Llama3TextStaysText) {
  for (const char* text : {"Hello there.", "{\"not\": \"a call\"}", "{\"name\": \"x\", \"parameters\": {", "{ broken",
                           "The JSON {\"name\": \"f\", \"parameters\": {}} is inline.", "<|python_tag|>print(1)"}) {
    const auto r = parse_tool_calls(text, ToolCallStyle::Llama3);
    EXPECT_TRUE(r.tool_calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
}

TEST(ToolCalls, NoStyleMeansNoParsing) {
  const auto r = parse_tool_calls("<tool_call>{\"name\": \"a\"}</tool_call>", ToolCallStyle::None);
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content, "<tool_call>{\"name\": \"a\"}</tool_call>");
}

}  // namespace
}  // namespace hearth::chat

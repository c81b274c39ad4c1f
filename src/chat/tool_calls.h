#pragma once
// Tool calls in model output, parsed back into structured calls. Two families are understood:
//  - Llama 3.x: a JSON object {"name": ..., "parameters": {...}} as the whole reply, or after
//    <|python_tag|> (several separated by ';'), or a built-in call `tool.call(k="v")`;
//  - Qwen / Hermes: one or more <tool_call>{"name": ..., "arguments": {...}}</tool_call> blocks.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::chat {

enum class ToolCallStyle { None, Llama3, Hermes };
std::string_view tool_call_style_name(ToolCallStyle style);

// Guesses the style from a chat template's text (<tool_call> -> Hermes, <|python_tag|> or an
// ipython role -> Llama3).
ToolCallStyle detect_tool_call_style(std::string_view template_source);

struct ToolCall {
  std::string name;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
  // Compact JSON text of the arguments, as OpenAI's "function.arguments" string.
  std::string arguments_json() const { return arguments.dump(); }
};

struct ParsedReply {
  std::string content;  // the text outside the tool calls (the whole reply when there are none)
  std::vector<ToolCall> tool_calls;
};

// Never throws on malformed output: anything that is not a well-formed call stays in content.
ParsedReply parse_tool_calls(std::string_view output, ToolCallStyle style);

}  // namespace hearth::chat

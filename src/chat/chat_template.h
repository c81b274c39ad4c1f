#pragma once
// Chat templates: turn OpenAI-style messages (and tool definitions) into the prompt text a
// model was trained on, by rendering the model's Jinja template (`tokenizer.chat_template` in
// the GGUF, or an override file) the way transformers does.
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/errors.h"
#include "chat/tool_calls.h"

namespace hearth::gguf {
class File;
}

namespace hearth::chat {

namespace jinja {
class Template;
}

struct ChatRenderInput {
  // [{"role": "system"|"user"|"assistant"|"tool", "content": ..., "tool_calls": [...],
  //   "tool_call_id": ..., "name": ...}, ...]; content may also be a list of parts.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // OpenAI function tools ([{"type": "function", "function": {...}}]) or null for none.
  nlohmann::ordered_json tools = nullptr;
  bool add_generation_prompt = true;
  // More template variables (e.g. {"enable_thinking": false}); they override the standard ones.
  nlohmann::ordered_json extra_context = nlohmann::ordered_json::object();
  // Local time for strftime_now(); unset means now (tests fix it).
  std::function<std::tm()> now;
};

class ChatTemplate {
 public:
  // Parses `source` (syntax errors are TemplateErrors naming `name`, line and column).
  ChatTemplate(std::string source, std::string bos_token, std::string eos_token, std::string name = "chat template");

  // The template in `tokenizer.chat_template`, with the BOS/EOS token texts of the vocabulary.
  // Throws hearth::Error naming the file when the GGUF carries no template.
  static ChatTemplate from_gguf(const gguf::File& file);
  static bool gguf_has_template(const gguf::File& file);
  // An override template file (e.g. --chat-template-file), with the special tokens of `model`.
  static ChatTemplate from_file(const std::filesystem::path& path, const gguf::File& model);
  static ChatTemplate from_file(const std::filesystem::path& path, std::string bos_token, std::string eos_token);

  // Renders the prompt. Invalid messages are hearth::Errors naming the message; template
  // failures are TemplateErrors, and the template's own raise_exception is a TemplateRaised.
  std::string render(const ChatRenderInput& input) const;

  const std::string& source() const;
  const std::string& bos_token() const { return bos_; }
  const std::string& eos_token() const { return eos_; }
  ToolCallStyle tool_call_style() const { return tool_style_; }

 private:
  std::shared_ptr<const jinja::Template> tmpl_;
  std::string bos_, eos_;
  ToolCallStyle tool_style_ = ToolCallStyle::None;
};

// OpenAI clients send tool-call arguments as a JSON string; most templates (Llama 3.1's
// `| tojson`, Qwen's `is string` branch aside) expect an object. Returns a copy of `messages`
// with every parseable string `function.arguments` replaced by the parsed object.
nlohmann::ordered_json with_parsed_tool_arguments(const nlohmann::ordered_json& messages);

}  // namespace hearth::chat

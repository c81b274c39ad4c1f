#include "chat/chat_template.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "chat/template.h"
#include "gguf/reader.h"

namespace hearth::chat {

namespace {

constexpr std::string_view kTemplateKey = "tokenizer.chat_template";

// Text of the token with id stored under `id_key`, or "" when the GGUF does not say.
std::string special_token(const gguf::File& file, std::string_view id_key) {
  const auto id = file.get_int_optional(id_key);
  if (!id || !file.has("tokenizer.ggml.tokens")) return {};
  const gguf::Array& tokens = file.get_array_value("tokenizer.ggml.tokens");
  if (*id < 0 || static_cast<uint64_t>(*id) >= tokens.items.size()) return {};
  const auto* text = std::get_if<std::string>(&tokens.items[static_cast<size_t>(*id)].data);
  return text ? *text : std::string();
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open chat template file", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) fail("{}: cannot read chat template file", path.string());
  return ss.str();
}

void validate_messages(const nlohmann::ordered_json& messages) {
  if (!messages.is_array()) fail("chat messages must be a JSON array, got {}", messages.type_name());
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (!m.is_object()) fail("messages[{}] must be an object, got {}", i, m.type_name());
    const auto role = m.find("role");
    if (role == m.end() || !role->is_string()) fail("messages[{}].role must be a string", i);
    const auto content = m.find("content");
    if (content != m.end() && !content->is_string() && !content->is_null() && !content->is_array())
      fail("messages[{}].content must be a string, a list of parts or null, got {}", i, content->type_name());
    const auto calls = m.find("tool_calls");
    if (calls != m.end() && !calls->is_array() && !calls->is_null())
      fail("messages[{}].tool_calls must be a list, got {}", i, calls->type_name());
  }
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string bos_token, std::string eos_token, std::string name)
    : tmpl_(std::make_shared<const jinja::Template>(std::move(source), std::move(name))),
      bos_(std::move(bos_token)),
      eos_(std::move(eos_token)) {
  tool_style_ = detect_tool_call_style(tmpl_->source());
}

bool ChatTemplate::gguf_has_template(const gguf::File& file) { return file.has(kTemplateKey); }

ChatTemplate ChatTemplate::from_gguf(const gguf::File& file) {
  auto source = file.get_optional<std::string>(kTemplateKey);
  if (!source) fail("{}: no chat template ({} is missing); pass a template file instead", file.name(), kTemplateKey);
  return ChatTemplate(std::move(*source), special_token(file, "tokenizer.ggml.bos_token_id"),
                      special_token(file, "tokenizer.ggml.eos_token_id"),
                      fmt::format("{}: {}", file.name(), kTemplateKey));
}

ChatTemplate ChatTemplate::from_file(const std::filesystem::path& path, const gguf::File& model) {
  return ChatTemplate(read_text_file(path), special_token(model, "tokenizer.ggml.bos_token_id"),
                      special_token(model, "tokenizer.ggml.eos_token_id"), path.string());
}

ChatTemplate ChatTemplate::from_file(const std::filesystem::path& path, std::string bos_token, std::string eos_token) {
  return ChatTemplate(read_text_file(path), std::move(bos_token), std::move(eos_token), path.string());
}

const std::string& ChatTemplate::source() const { return tmpl_->source(); }

std::string ChatTemplate::render(const ChatRenderInput& input) const {
  validate_messages(input.messages);
  if (!input.tools.is_null() && !input.tools.is_array()) fail("tools must be a JSON array or null");
  if (!input.extra_context.is_object() && !input.extra_context.is_null())
    fail("extra template variables must be a JSON object");
  // The variables transformers passes to chat templates.
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = input.messages;
  ctx["tools"] = input.tools;
  ctx["add_generation_prompt"] = input.add_generation_prompt;
  ctx["bos_token"] = bos_;
  ctx["eos_token"] = eos_;
  if (input.extra_context.is_object())
    for (const auto& [k, v] : input.extra_context.items()) ctx[k] = v;
  jinja::RenderSettings settings;
  settings.now = input.now;
  return tmpl_->render(ctx, settings);
}

nlohmann::ordered_json with_parsed_tool_arguments(const nlohmann::ordered_json& messages) {
  nlohmann::ordered_json out = messages;
  if (!out.is_array()) return out;
  for (auto& m : out) {
    if (!m.is_object() || !m.contains("tool_calls") || !m["tool_calls"].is_array()) continue;
    for (auto& call : m["tool_calls"]) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) continue;
      auto& fn = call["function"];
      if (!fn.contains("arguments") || !fn["arguments"].is_string()) continue;
      auto parsed = nlohmann::ordered_json::parse(fn["arguments"].get<std::string>(), nullptr, false);
      if (!parsed.is_discarded()) fn["arguments"] = std::move(parsed);
    }
  }
  return out;
}

}  // namespace hearth::chat

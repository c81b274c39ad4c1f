#include "server/chat_prompt.h"

#include "core/error.h"
#include "server/http_error.h"

namespace hearth::server {

json validate_messages(const json& messages) {
  if (!messages.is_array()) bad_field("messages", "'messages' must be an array of message objects");
  if (messages.empty()) bad_field("messages", "'messages' must contain at least one message");
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string at = fmt::format("messages[{}]", i);
    if (!m.is_object()) bad_field(at, "'{}' must be an object", at);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) bad_field(at + ".role", "'{}.role' must be a string", at);
    auto content = m.find("content");
    if (content != m.end() && !content->is_null() && !content->is_string() && !content->is_array())
      bad_field(at + ".content", "'{}.content' must be a string or an array of content parts", at);
  }
  return messages;
}

std::string render_chat_with(const chat::ChatTemplate& tmpl, const ChatRequest& req) {
  chat::ChatRenderInput in;
  in.messages = chat::with_parsed_tool_arguments(req.messages);
  in.tools = req.tools;
  in.add_generation_prompt = req.continue_final_message ? false : req.add_generation_prompt;
  in.extra_context = req.extra_context;
  std::string text;
  try {
    text = tmpl.render(in);
  } catch (const Error& e) {
    throw HttpError(400, fmt::format("the chat template failed: {}", e.what()), "messages", "template_error");
  }
  if (req.continue_final_message) {
    const json& last = req.messages.back();
    if (last.value("role", "") != "assistant" || !last.contains("content") || !last["content"].is_string())
      bad_field("messages", "continue_final_message needs a final assistant message with string content");
    const std::string partial = last["content"].get<std::string>();
    // Cut after the partial message's text: the turn stays open and the model continues it.
    const size_t at = partial.empty() ? std::string::npos : text.rfind(partial);
    if (at == std::string::npos) {
      if (!partial.empty()) bad_field("messages", "the chat template does not reproduce the final assistant message, so it cannot be continued");
      // An empty partial message: cut after the generation prompt of a render without it.
      ChatRequest head = req;
      head.messages.erase(head.messages.end() - 1);
      head.continue_final_message = false;
      head.add_generation_prompt = true;
      return render_chat_with(tmpl, head);
    }
    text.resize(at + partial.size());
  }
  return text;
}

std::string render_chat(const LoadedModel& m, const ChatRequest& req) {
  const chat::ChatTemplate* tmpl = m.chat_template();
  if (!tmpl)
    throw HttpError(400,
                    fmt::format("model '{}' has no chat template (tokenizer.chat_template); use the completion endpoints or "
                                "start the server with --chat-template-file",
                                m.name()),
                    "model", "no_chat_template");
  return render_chat_with(*tmpl, req);
}

}  // namespace hearth::server

#pragma once
// Chat messages -> prompt text through the model's chat template, for both APIs.
#include <string>

#include "chat/chat_template.h"
#include "server/model_registry.h"
#include "server/request_options.h"

namespace hearth::server {

struct ChatRequest {
  json messages;       // validated: a non-empty array of {"role": string, ...}
  json tools = nullptr;
  bool add_generation_prompt = true;
  // The last message is an unfinished assistant message to continue (vLLM's
  // continue_final_message): rendered without its end-of-turn marker.
  bool continue_final_message = false;
  json extra_context = json::object();  // more template variables (chat_template_kwargs)
};

// Checks the shape of "messages" (400 naming e.g. "messages[2].role").
json validate_messages(const json& messages);
// 400 when the model has no chat template; template errors (including the template's own
// raise_exception) are 400s with the template's message.
std::string render_chat(const LoadedModel& m, const ChatRequest& req);
// Renders with a template given in the request (Ollama's "template").
std::string render_chat_with(const chat::ChatTemplate& tmpl, const ChatRequest& req);

}  // namespace hearth::server

#pragma once
// Ollama's Modelfile (we call it a Hearthfile; the syntax is the same):
//   # comment
//   FROM ./model.gguf | NAME[:TAG]
//   PARAMETER temperature 0.7
//   TEMPLATE """...""" | SYSTEM "..." | MESSAGE user|assistant|system TEXT | LICENSE """..."""
// Instructions are case-insensitive; an argument is the rest of the line, a "quoted" string
// or a """multi-line""" string. ADAPTER and other instructions are refused by name.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/manifest.h"

namespace hearth::store {

struct Modelfile {
  std::string from;  // as written: a path or a model name
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  std::optional<std::string> template_text;  // unset: inherit from FROM
  std::optional<std::string> system;
  std::vector<ChatMessage> messages;
  std::vector<std::string> licenses;
};

// `what` names the file in errors (with the line number).
Modelfile parse_modelfile(std::string_view text, const std::string& what);

}  // namespace hearth::store

#pragma once
// A manifest maps a model name to its content: the GGUF blob (by sha256 digest) plus what a
// Modelfile adds on top (default parameters, prompt template, system prompt, seed messages,
// licenses). Stored as JSON at manifests/<namespace>/<model>/<tag>.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::store {

struct ChatMessage {
  std::string role;
  std::string content;
  bool operator==(const ChatMessage&) const = default;
};

struct Manifest {
  std::string model_digest;  // 64 hex digits (the blob is blobs/sha256-<digest>)
  uint64_t model_size = 0;
  std::string quantization;  // e.g. "Q4_K_M"; informational
  std::string architecture;  // general.architecture; informational
  // Modelfile PARAMETERs, Ollama names (temperature, top_k, num_ctx, stop, ...). A parameter
  // given several times (stop) is an array.
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  std::string template_text;  // TEMPLATE; empty: the GGUF's own chat template
  std::string system;         // SYSTEM
  std::vector<ChatMessage> messages;  // MESSAGE
  std::vector<std::string> licenses;  // LICENSE
  std::string source;                 // where the blob came from (path, URL or hf.co ref)

  nlohmann::ordered_json to_json() const;
  // Validates every field; errors name `what` (the manifest's name or path) and the field.
  static Manifest from_json(const nlohmann::ordered_json& j, const std::string& what);
  // The bytes written to disk (and signed).
  std::string serialize() const;
  static Manifest parse(std::string_view text, const std::string& what);
};

}  // namespace hearth::store

#pragma once
// Request fields -> generation settings, for both APIs. Every bad value is a 400 naming the
// field ("max_tokens", "options.top_k", "response_format.json_schema", ...).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sampling/params.h"

namespace hearth::server {

using json = nlohmann::ordered_json;

struct GenOptions {
  int64_t max_tokens = -1;  // < 0: until end of generation or a full context
  sampling::SamplerParams sampler;
  std::vector<std::string> stop;
  bool logprobs = false;
  int top_logprobs = 0;
  bool truncate = false;  // drop the start of a prompt that does not fit instead of a 400
};

// The request body as a JSON object (malformed JSON or a non-object is a 400).
json parse_body(const std::string& body);

// Typed field access: absent or null gives nullopt; a wrong type is a 400 naming `name`.
std::optional<std::string> get_string(const json& obj, const std::string& name, const std::string& prefix = {});
std::optional<bool> get_bool(const json& obj, const std::string& name, const std::string& prefix = {});
std::optional<double> get_number(const json& obj, const std::string& name, const std::string& prefix = {});
std::optional<int64_t> get_int(const json& obj, const std::string& name, const std::string& prefix = {});

// OpenAI /v1/chat/completions and /v1/completions fields (plus top_k, min_p, repeat_penalty,
// typical_p, truncate extensions). `vocab_size` checks logit_bias ids.
GenOptions openai_options(const json& body, int64_t vocab_size);
// Ollama's "options" object, "format" and the logprobs fields at top level.
GenOptions ollama_options(const json& body, int64_t vocab_size);

// JSON text with invalid UTF-8 (a token piece can be part of a character) replaced.
std::string dump(const json& j);

// A fresh random seed (requests without one get it, and the response reports it).
uint64_t random_seed();

}  // namespace hearth::server

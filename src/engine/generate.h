#pragma once
// Single-sequence text generation: tokenize, evaluate the prompt in one batch, then sample
// one token at a time through the sampler chain (optionally grammar-constrained), streaming
// text that never splits a UTF-8 character and never shows a stop string.
//
// Stops at: an end-of-generation token (EOS, end of turn; never emitted), a completed grammar
// that allows nothing more, a stop string (matched across token boundaries, never emitted),
// max_tokens, a full context, or a callback returning false.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/context.h"
#include "sampling/params.h"
#include "sampling/token_probs.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct GenerateRequest {
  std::string prompt;
  int64_t max_tokens = 128;  // < 0: until end-of-generation or a full context
  sampling::SamplerParams sampler;
  std::vector<std::string> stop;  // stop strings
  bool probs = false;             // fill GeneratedToken::probs
  size_t n_probs = 0;             // alternatives per token in probs.top / probs.top_model
  bool parse_special = false;
  std::optional<bool> add_bos;  // default: the vocabulary's add_bos_token
};

enum class StopReason { EndOfGeneration, StopString, MaxTokens, ContextFull, Cancelled };
// OpenAI-style names: "stop" (end of generation, grammar complete, stop string), "length", ...
std::string_view stop_reason_name(StopReason r);

struct GenerateResult {
  int64_t n_prompt = 0;
  int64_t n_generated = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  StopReason stop = StopReason::MaxTokens;
  std::string stop_string;  // the stop string that ended generation, if one did
};

struct GeneratedToken {
  int64_t index;  // 0 for the first generated token
  int32_t id;
  sampling::TokenProbs probs;  // filled when GenerateRequest::probs
};

struct GenerateCallbacks {
  // Every sampled token, in order, before any of its text is passed on (end-of-generation
  // tokens included, with the same index the next token would have had). false cancels.
  std::function<bool(const GeneratedToken&)> on_token;
  // Output text once final; `token` is the index of the generated token the bytes came from.
  // false cancels.
  std::function<bool(std::string_view text, int64_t token)> on_text;
};

GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const GenerateCallbacks& callbacks);

// Text only.
GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const std::function<bool(std::string_view)>& on_text);

}  // namespace hearth::engine

#pragma once
// Single-sequence text generation: tokenize, evaluate the prompt in one batch, then sample
// one token at a time, streaming text that never splits a UTF-8 character.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/context.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct GenerateRequest {
  std::string prompt;
  int64_t max_tokens = 128;  // < 0: until end-of-generation or a full context
  sampling::SamplerParams sampler;
  bool parse_special = false;
  std::optional<bool> add_bos;  // default: the vocabulary's add_bos_token
};

enum class StopReason { EndOfGeneration, MaxTokens, ContextFull, Cancelled };
std::string_view stop_reason_name(StopReason r);

struct GenerateResult {
  int64_t n_prompt = 0;
  int64_t n_generated = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  StopReason stop = StopReason::MaxTokens;
};

// on_text receives decoded text as it becomes complete; returning false cancels.
GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const std::function<bool(std::string_view)>& on_text);

}  // namespace hearth::engine

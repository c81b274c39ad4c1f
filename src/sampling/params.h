#pragma once
// Everything that decides how one sequence's next token is chosen: plain data, so the CLI
// and the server fill it from flags or request options with the same names.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/logit_bias.h"

namespace hearth::sampling {

// The configurable steps between the fixed first ones (logit bias, grammar) and the draw.
enum class Step { Penalties, TopK, Typical, TopP, MinP, Temperature };

std::string_view step_name(Step s);
// "penalties;top_k;typical_p;top_p;min_p;temperature" (';' or ',' between names; also
// accepted: top-k, typical, typ_p, top-p, min-p, temp). An unknown name is a hearth::Error.
std::vector<Step> parse_steps(std::string_view list);
std::string format_steps(const std::vector<Step>& steps);

struct SamplerParams {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;        // <= 0: off
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float typical_p = 1.0f;    // >= 1: off
  float repeat_penalty = 1.0f;  // 1: off
  int32_t repeat_last_n = 64;   // 0: penalties off; -1: the whole sequence
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int mirostat = 0;  // 0: off; 1 or 2 replaces top-k/typical/top-p/min-p
  float mirostat_tau = 5.0f;
  float mirostat_eta = 0.1f;
  uint64_t seed = 0;
  std::vector<LogitBias> logit_bias;
  std::vector<Step> steps = {Step::Penalties, Step::TopK, Step::Typical, Step::TopP, Step::MinP, Step::Temperature};
  std::string grammar;  // GBNF text; empty: unconstrained

  // A hearth::Error naming the first parameter out of range.
  void validate() const;
};

}  // namespace hearth::sampling

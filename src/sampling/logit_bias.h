#pragma once
// Logit bias: adds a fixed amount to chosen tokens' logits (-inf bans a token).
#include <cstdint>
#include <span>
#include <utility>

#include "sampling/candidates.h"

namespace hearth::sampling {

struct LogitBias {
  int32_t id;
  float bias;
};

// Applies to candidates still in ascending id order (the chain's first step: the whole
// vocabulary, or the tokens a grammar allows; biases for tokens not present are skipped).
// A bias for a token id outside the vocabulary of n_vocab tokens is a hearth::Error.
void apply_logit_bias(Candidates& c, std::span<const LogitBias> biases, size_t n_vocab);

}  // namespace hearth::sampling

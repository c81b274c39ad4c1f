#pragma once
// The uncertainty behind one sampled token, both under the model's own distribution (softmax
// of the raw logits, before any sampler) and under the distribution the token was actually
// drawn from (after bias, grammar, penalties, truncation and temperature). Entropies in nats.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/candidates.h"

namespace hearth::sampling {

struct TokenProb {
  int32_t id;
  float p;
};

struct TokenProbs {
  int32_t id = -1;
  float p = 0.0f;              // probability it was drawn with (1 when greedy)
  float entropy = 0.0f;        // of the distribution it was drawn from
  float p_model = 0.0f;        // probability under softmax(raw logits)
  float entropy_model = 0.0f;  // of softmax(raw logits)
  std::vector<TokenProb> top;        // the n most likely after the chain, most likely first
  std::vector<TokenProb> top_model;  // the n most likely under softmax(raw logits)
};

// p_model, entropy_model and top_model (n entries) for token `id` from raw logits.
void describe_model(std::span<const float> logits, int32_t id, size_t n, TokenProbs& out);
// p, entropy and top (n entries) from the final candidates, whose p sums to 1; `chosen` is
// the drawn entry's index.
void describe_final(const Candidates& c, size_t chosen, size_t n, TokenProbs& out);

}  // namespace hearth::sampling

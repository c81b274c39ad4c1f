#pragma once
// Turns one sequence's logits into the next token. Temperature 0 is greedy (argmax).
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/rng.h"

namespace hearth::sampling {

struct SamplerParams {
  float temperature = 0.8f;
  int32_t top_k = 40;      // <= 0: off
  float top_p = 0.95f;     // >= 1: off
  float min_p = 0.05f;     // <= 0: off
  uint64_t seed = 0;
};

// Index of the largest logit (lowest id on ties).
int32_t argmax(std::span<const float> logits);

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}
  int32_t sample(std::span<const float> logits);

 private:
  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  SamplerParams params_;
  Rng rng_;
  std::vector<Candidate> cand_;
};

}  // namespace hearth::sampling

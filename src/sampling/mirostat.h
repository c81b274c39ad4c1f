#pragma once
// Mirostat (Basu et al. 2021): adaptive truncation that steers the surprise -log2 p of the
// drawn tokens towards a target tau, learning the threshold mu (starting at 2 tau) with rate
// eta. Each variant truncates, draws and updates mu in one call.
//   v1: estimates the Zipf exponent s from the top m tokens and keeps the top k where
//       k = ((s - 1) 2^mu / (1 - N^(1-s)))^(1/s).
//   v2: keeps the tokens whose surprise is at most mu.
#include <cstddef>
#include <cstdint>

#include "sampling/candidates.h"
#include "sampling/rng.h"

namespace hearth::sampling {

class Mirostat {
 public:
  // version 1 or 2; n_vocab is N in v1's formula.
  Mirostat(int version, float tau, float eta, size_t n_vocab, int m = 100);
  // Truncates c, draws one entry (p filled, renormalised) and returns its index.
  size_t sample(Candidates& c, Rng& rng);
  float mu() const { return mu_; }
  void reset() { mu_ = 2.0f * tau_; }

 private:
  void truncate_v1(Candidates& c) const;
  void truncate_v2(Candidates& c) const;

  int version_;
  float tau_;
  float eta_;
  size_t n_vocab_;
  int m_;
  float mu_;
};

}  // namespace hearth::sampling

#pragma once
// The sampler chain for one sequence: logit bias → grammar mask → the configured steps
// (default penalties → top-k → typical-p → top-p → min-p → temperature) → seeded draw.
// Temperature <= 0 is greedy: only the penalties (if listed) run before the argmax.
// Mirostat 1/2 replaces the truncation steps: penalties (if listed) → temperature → mirostat.
//
// Usage per generated token: id = sample(logits); then accept(id) (updates the penalty
// window, the grammar state). Prompt tokens go through accept_prompt() so penalties see them.
// Same params (seed included) and same logits give the same tokens on every platform.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sampling/candidates.h"
#include "sampling/grammar/filter.h"
#include "sampling/mirostat.h"
#include "sampling/params.h"
#include "sampling/penalties.h"
#include "sampling/rng.h"
#include "sampling/token_probs.h"

namespace hearth::sampling {

// Index of the largest logit (lowest id on ties).
int32_t argmax(std::span<const float> logits);

class Sampler {
 public:
  // `vocab` (token bytes) is needed when params.grammar is set; a grammar that does not parse
  // or compile is a hearth::Error.
  explicit Sampler(const SamplerParams& params, std::shared_ptr<const grammar::TokenTrie> vocab = nullptr);

  // Chooses the next token. With `probs`, also describes the choice with the n_top most
  // likely alternatives before and after the chain. A state where no token is allowed (every
  // one banned by bias or grammar) is a hearth::Error.
  int32_t sample(std::span<const float> logits, TokenProbs* probs = nullptr, size_t n_top = 0);
  // Records a generated token; a token the grammar rejects is a hearth::Error.
  void accept(int32_t id);
  void accept_prompt(std::span<const int32_t> tokens);

  bool has_grammar() const { return grammar_.has_value(); }
  // The grammar is complete and nothing more can follow (false without a grammar).
  bool grammar_finished() const { return grammar_ && grammar_->finished(); }
  grammar::GrammarFilter* grammar_filter() { return grammar_ ? &*grammar_ : nullptr; }
  const SamplerParams& params() const { return params_; }

 private:
  size_t run_chain(size_t n_vocab);
  bool listed(Step s) const;

  SamplerParams params_;
  Rng rng_;
  Candidates cand_;
  TokenHistory history_;
  PenaltyParams penalties_;
  std::optional<Mirostat> mirostat_;
  std::optional<grammar::GrammarFilter> grammar_;
  bool bans_ = false;  // some logit bias is -inf
};

}  // namespace hearth::sampling

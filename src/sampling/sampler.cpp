#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sampling/dist.h"
#include "sampling/min_p.h"
#include "sampling/temperature.h"
#include "sampling/top_k.h"
#include "sampling/top_p.h"
#include "sampling/typical.h"

namespace hearth::sampling {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  return best;
}

Sampler::Sampler(const SamplerParams& params, std::shared_ptr<const grammar::TokenTrie> vocab)
    : params_(params),
      rng_(params.seed),
      history_(params.repeat_last_n),
      penalties_{params.repeat_penalty, params.repeat_last_n, params.presence_penalty, params.frequency_penalty} {
  params_.validate();
  for (const auto& b : params_.logit_bias) bans_ = bans_ || b.bias == -INFINITY;
  if (!params_.grammar.empty()) {
    if (!vocab) fail("a grammar needs the model's vocabulary");
    grammar_.emplace(grammar::CompiledGrammar::from_gbnf(params_.grammar), std::move(vocab));
  }
}

bool Sampler::listed(Step s) const { return std::find(params_.steps.begin(), params_.steps.end(), s) != params_.steps.end(); }

size_t Sampler::run_chain(size_t n_vocab) {
  if (params_.temperature <= 0.0f) {
    if (listed(Step::Penalties)) apply_penalties(cand_, history_, penalties_);
    apply_temperature(cand_, 0.0f);
    return 0;
  }
  if (params_.mirostat != 0) {
    if (!mirostat_)
      mirostat_.emplace(params_.mirostat, params_.mirostat_tau, params_.mirostat_eta, n_vocab);
    if (listed(Step::Penalties)) apply_penalties(cand_, history_, penalties_);
    apply_temperature(cand_, params_.temperature);
    return mirostat_->sample(cand_, rng_);
  }
  for (Step s : params_.steps) {
    switch (s) {
      case Step::Penalties: apply_penalties(cand_, history_, penalties_); break;
      case Step::TopK: apply_top_k(cand_, params_.top_k); break;
      case Step::Typical: apply_typical(cand_, params_.typical_p); break;
      case Step::TopP: apply_top_p(cand_, params_.top_p); break;
      case Step::MinP: apply_min_p(cand_, params_.min_p); break;
      case Step::Temperature: apply_temperature(cand_, params_.temperature); break;
    }
  }
  return draw(cand_, rng_);
}

int32_t Sampler::sample(std::span<const float> logits, TokenProbs* probs, size_t n_top) {
  HEARTH_CHECK(!logits.empty(), "sampling from an empty vocabulary");
  // The grammar's allowed set, when there is one, is where the candidates come from: in most
  // parse states it is small, and everything after works on it alone.
  if (grammar_)
    cand_.assign_masked(logits, grammar_->allowed());
  else
    cand_.assign(logits);
  apply_logit_bias(cand_, params_.logit_bias, logits.size());
  if (bans_) cand_.drop_impossible();
  if (cand_.empty())
    fail("{}", grammar_ ? "no token can continue the grammar here (are all fitting tokens banned by the logit bias?)"
                        : "every token is banned by the logit bias");
  const size_t chosen = run_chain(logits.size());
  const int32_t id = cand_[chosen].id;
  if (probs) {
    *probs = TokenProbs{};
    describe_final(cand_, chosen, n_top, *probs);
    describe_model(logits, id, n_top, *probs);
  }
  return id;
}

void Sampler::accept(int32_t id) {
  history_.push(id);
  if (grammar_ && !grammar_->accept(id)) fail("token {} does not fit the grammar", id);
}

void Sampler::accept_prompt(std::span<const int32_t> tokens) {
  for (int32_t id : tokens) history_.push(id);
}

}  // namespace hearth::sampling

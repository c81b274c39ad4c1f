#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace hearth::sampling {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  return best;
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (params_.temperature <= 0.0f || params_.top_k == 1) return argmax(logits);
  cand_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) cand_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
  // Stable descending order by logit (ties by id) keeps results identical across runs.
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t n = cand_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + params_.top_k, cand_.end(), by_logit);
    n = static_cast<size_t>(params_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  auto softmax = [&](float temp) {
    const float mx = cand_[0].logit;
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
      cand_[i].p = std::exp((cand_[i].logit - mx) / temp);
      sum += cand_[i].p;
    }
    for (size_t i = 0; i < n; ++i) cand_[i].p = static_cast<float>(cand_[i].p / sum);
  };
  softmax(1.0f);
  if (params_.top_p < 1.0f) {
    double cum = 0.0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i) {
      cum += cand_[i].p;
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
  }
  if (params_.min_p > 0.0f) {
    const float threshold = cand_[0].p * params_.min_p;
    size_t keep = 1;
    while (keep < n && cand_[keep].p >= threshold) ++keep;
    n = keep;
  }
  softmax(params_.temperature);
  double r = rng_.uniform();
  for (size_t i = 0; i < n; ++i) {
    r -= cand_[i].p;
    if (r < 0.0) return cand_[i].id;
  }
  return cand_[n - 1].id;
}

}  // namespace hearth::sampling

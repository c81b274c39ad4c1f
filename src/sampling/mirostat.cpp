#include "sampling/mirostat.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sampling/dist.h"

namespace hearth::sampling {

Mirostat::Mirostat(int version, float tau, float eta, size_t n_vocab, int m)
    : version_(version), tau_(tau), eta_(eta), n_vocab_(n_vocab), m_(m), mu_(2.0f * tau) {
  HEARTH_CHECK(version == 1 || version == 2, "mirostat version {}", version);
}

void Mirostat::truncate_v1(Candidates& c) const {
  c.sort();
  c.softmax();
  // Least-squares fit of log(p_i / p_{i+1}) = s * log((i + 2) / (i + 1)) over the top m.
  double sum_tb = 0.0, sum_tt = 0.0;
  const size_t m = std::min(static_cast<size_t>(m_), c.size() - 1);
  for (size_t i = 0; i < m; ++i) {
    if (c[i + 1].p <= 0.0f) break;
    const double t = std::log(static_cast<double>(i + 2) / static_cast<double>(i + 1));
    const double b = std::log(static_cast<double>(c[i].p) / static_cast<double>(c[i + 1].p));
    sum_tb += t * b;
    sum_tt += t * t;
  }
  if (sum_tt <= 0.0) return;  // one candidate (or no spread): nothing to estimate
  const double s_hat = sum_tb / sum_tt;
  const double eps = s_hat - 1.0;
  const double k = std::pow(eps * std::pow(2.0, static_cast<double>(mu_)) /
                                (1.0 - std::pow(static_cast<double>(n_vocab_), -eps)),
                            1.0 / s_hat);
  size_t keep = 1;
  if (std::isfinite(k) && k > 1.0) keep = k >= static_cast<double>(c.size()) ? c.size() : static_cast<size_t>(k);
  c.truncate(keep);
}

void Mirostat::truncate_v2(Candidates& c) const {
  c.sort();
  c.softmax();
  size_t keep = 0;
  while (keep < c.size() && -std::log2(static_cast<double>(c[keep].p)) <= mu_) ++keep;
  c.truncate(std::max<size_t>(keep, 1));
}

size_t Mirostat::sample(Candidates& c, Rng& rng) {
  HEARTH_CHECK(!c.empty(), "mirostat on an empty candidate set");
  if (version_ == 1)
    truncate_v1(c);
  else
    truncate_v2(c);
  const size_t i = draw(c, rng);  // renormalises over the kept tokens
  const double surprise = -std::log2(static_cast<double>(c[i].p));
  mu_ = static_cast<float>(mu_ - eta_ * (surprise - tau_));
  return i;
}

}  // namespace hearth::sampling

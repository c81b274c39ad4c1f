#pragma once
// Statistics helpers for the sampler tests: Pearson's chi-square goodness-of-fit test with
// the p-value from the regularized upper incomplete gamma function.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::test {

// Q(a, x) = Gamma(a, x) / Gamma(a): series below a + 1, Lentz's continued fraction above.
inline double gamma_q(double a, double x) {
  if (x <= 0.0) return 1.0;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-15) break;
    }
    return 1.0 - sum * std::exp(log_prefix);
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-15) break;
  }
  return std::exp(log_prefix) * h;
}

struct ChiSquare {
  double statistic = 0.0;
  int dof = 0;
  double p_value = 1.0;
  bool impossible_seen = false;  // a category with expected probability 0 was observed
  std::string describe() const {
    return "chi2=" + std::to_string(statistic) + " dof=" + std::to_string(dof) + " p=" + std::to_string(p_value) +
           (impossible_seen ? " (an impossible token was drawn)" : "");
  }
};

// counts[i] observed draws of category i; expected[i] its probability (sums to 1).
inline ChiSquare chi_square(const std::vector<int64_t>& counts, const std::vector<double>& expected) {
  ChiSquare r;
  int64_t n = 0;
  for (auto c : counts) n += c;
  int categories = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] <= 0.0) {
      if (counts[i] != 0) r.impossible_seen = true;
      continue;
    }
    const double e = expected[i] * static_cast<double>(n);
    const double d = static_cast<double>(counts[i]) - e;
    r.statistic += d * d / e;
    ++categories;
  }
  r.dof = std::max(categories - 1, 1);
  r.p_value = categories <= 1 ? 1.0 : gamma_q(r.dof / 2.0, r.statistic / 2.0);
  return r;
}

}  // namespace hearth::test

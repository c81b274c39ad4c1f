// Statistical tests: 100k draws per sampler configuration on fixed logits must match the
// analytically expected distribution (chi-square goodness of fit, p > 0.001). Seeds are fixed,
// so every run draws exactly the same tokens and the test is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sampling/candidates.h"
#include "sampling/mirostat.h"
#include "sampling/sampler.h"
#include "stats.h"

using namespace hearth;
using namespace hearth::sampling;

namespace {

constexpr int kDraws = 100000;
constexpr double kMinP = 0.001;

const std::vector<float> kLogits = {2.0f, 1.5f, 1.2f, 1.0f, 0.5f, 0.0f, -0.5f, -1.0f, -2.0f, -3.5f};

SamplerParams plain() {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.typical_p = 1.0f;
  p.seed = 1234;
  return p;
}

std::vector<double> softmax(const std::vector<double>& l) {
  double mx = -INFINITY;
  for (double v : l) mx = std::max(mx, v);
  std::vector<double> p(l.size());
  double s = 0;
  for (size_t i = 0; i < l.size(); ++i) s += p[i] = std::isinf(l[i]) && l[i] < 0 ? 0.0 : std::exp(l[i] - mx);
  for (auto& v : p) v /= s;
  return p;
}

std::vector<double> as_double(const std::vector<float>& l, double temp = 1.0) {
  std::vector<double> d;
  for (float v : l) d.push_back(v / temp);
  return d;
}

// Zeroes the probabilities outside `keep` and renormalises.
std::vector<double> restrict_to(std::vector<double> p, const std::vector<bool>& keep) {
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!keep[i]) p[i] = 0;
    s += p[i];
  }
  for (auto& v : p) v /= s;
  return p;
}

// Indices sorted by descending probability.
std::vector<size_t> ranked(const std::vector<double>& p) {
  std::vector<size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
  return idx;
}

std::vector<bool> nucleus(const std::vector<double>& p, double top_p) {
  std::vector<bool> keep(p.size(), false);
  double cum = 0;
  for (size_t i : ranked(p)) {
    keep[i] = true;
    cum += p[i];
    if (cum >= top_p) break;
  }
  return keep;
}

std::vector<int64_t> draw_counts(const SamplerParams& params, const std::vector<float>& logits,
                                 const std::vector<int32_t>& history = {}) {
  Sampler s(params);
  s.accept_prompt(history);
  std::vector<int64_t> counts(logits.size(), 0);
  for (int i = 0; i < kDraws; ++i) ++counts[static_cast<size_t>(s.sample(logits))];
  return counts;
}

void expect_fits(const std::vector<int64_t>& counts, const std::vector<double>& expected, const char* what) {
  const auto r = test::chi_square(counts, expected);
  EXPECT_FALSE(r.impossible_seen) << what << ": " << r.describe();
  EXPECT_GT(r.p_value, kMinP) << what << ": " << r.describe();
  std::printf("[chi2] %-34s %s\n", what, r.describe().c_str());
}

}  // namespace

TEST(ChiSquare, PValuesMatchTables) {
  EXPECT_NEAR(test::gamma_q(0.5, 3.841459 / 2), 0.05, 1e-5);   // dof 1, 95th percentile
  EXPECT_NEAR(test::gamma_q(5.0, 18.307038 / 2), 0.05, 1e-5);  // dof 10
  EXPECT_NEAR(test::gamma_q(4.5, 21.665994 / 2), 0.01, 1e-5);  // dof 9, 99th percentile
  EXPECT_NEAR(test::gamma_q(2.0, 0.0), 1.0, 1e-12);
  // A badly skewed sample must fail.
  EXPECT_LT(test::chi_square({600, 400}, {0.5, 0.5}).p_value, 1e-9);
}

TEST(SamplerStats, Temperature1IsSoftmax) {
  expect_fits(draw_counts(plain(), kLogits), softmax(as_double(kLogits)), "temperature 1");
}

TEST(SamplerStats, TemperatureScalesLogits) {
  for (float t : {0.5f, 0.7f, 1.5f}) {
    auto p = plain();
    p.temperature = t;
    p.seed = 77;
    expect_fits(draw_counts(p, kLogits), softmax(as_double(kLogits, t)), ("temperature " + std::to_string(t)).c_str());
  }
}

TEST(SamplerStats, TopK) {
  auto p = plain();
  p.top_k = 3;
  auto expected = softmax(as_double(kLogits));
  std::vector<bool> keep(kLogits.size(), false);
  keep[0] = keep[1] = keep[2] = true;
  expect_fits(draw_counts(p, kLogits), restrict_to(expected, keep), "top-k 3");
}

TEST(SamplerStats, TopP) {
  for (float tp : {0.5f, 0.8f, 0.95f}) {
    auto p = plain();
    p.top_p = tp;
    const auto base = softmax(as_double(kLogits));
    expect_fits(draw_counts(p, kLogits), restrict_to(base, nucleus(base, tp)), ("top-p " + std::to_string(tp)).c_str());
  }
}

TEST(SamplerStats, MinP) {
  for (float mp : {0.05f, 0.2f, 0.5f}) {
    auto p = plain();
    p.min_p = mp;
    const auto base = softmax(as_double(kLogits));
    std::vector<bool> keep(base.size());
    for (size_t i = 0; i < base.size(); ++i) keep[i] = base[i] >= mp * base[0];
    expect_fits(draw_counts(p, kLogits), restrict_to(base, keep), ("min-p " + std::to_string(mp)).c_str());
  }
}

TEST(SamplerStats, Typical) {
  const double tp = 0.45;
  auto p = plain();
  p.typical_p = static_cast<float>(tp);
  const auto base = softmax(as_double(kLogits));
  double h = 0;
  for (double v : base) h -= v * std::log(v);
  std::vector<size_t> idx(base.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return std::abs(-std::log(base[a]) - h) < std::abs(-std::log(base[b]) - h); });
  std::vector<bool> keep(base.size(), false);
  double cum = 0;
  for (size_t i : idx) {
    keep[i] = true;
    cum += base[i];
    if (cum >= tp) break;
  }
  // The typical set here excludes the most likely token: a real difference from top-p.
  EXPECT_FALSE(keep[0]);
  expect_fits(draw_counts(p, kLogits), restrict_to(base, keep), "typical-p 0.45");
}

TEST(SamplerStats, Penalties) {
  auto p = plain();
  p.repeat_penalty = 1.5f;
  p.presence_penalty = 0.3f;
  p.frequency_penalty = 0.2f;
  p.repeat_last_n = 4;
  // Window of the last 4: {1, 1, 6, 2}; token 0 fell out of the window.
  const std::vector<int32_t> history = {0, 0, 1, 1, 6, 2};
  auto l = as_double(kLogits);
  auto penalise = [&](size_t id, int count) {
    l[id] = l[id] > 0 ? l[id] / 1.5 : l[id] * 1.5;
    l[id] -= count * 0.2 + 0.3;
  };
  penalise(1, 2);
  penalise(6, 1);
  penalise(2, 1);
  expect_fits(draw_counts(p, kLogits, history), softmax(l), "penalties (repeat, presence, freq)");
}

TEST(SamplerStats, LogitBias) {
  auto p = plain();
  p.logit_bias = {{5, 2.0f}, {0, -INFINITY}};
  auto l = as_double(kLogits);
  l[5] += 2.0;
  l[0] = -INFINITY;
  expect_fits(draw_counts(p, kLogits), softmax(l), "logit bias (+2, -inf)");
}

TEST(SamplerStats, DefaultChain) {
  // penalties (off) -> top-k 6 -> typical (off) -> top-p 0.9 -> min-p 0.1 -> temperature 0.8
  auto p = plain();
  p.top_k = 6;
  p.top_p = 0.9f;
  p.min_p = 0.1f;
  p.temperature = 0.8f;
  auto base = softmax(as_double(kLogits));
  std::vector<bool> keep(base.size(), false);
  for (size_t i = 0; i < 6; ++i) keep[i] = true;
  auto k = restrict_to(base, keep);
  auto nuc = nucleus(k, 0.9);
  for (size_t i = 0; i < base.size(); ++i) keep[i] = keep[i] && nuc[i] && base[i] >= 0.1 * base[0];
  const auto expected = restrict_to(softmax(as_double(kLogits, 0.8)), keep);
  expect_fits(draw_counts(p, kLogits), expected, "top-k 6, top-p .9, min-p .1, T .8");
}

TEST(SamplerStats, TemperatureBeforeTopP) {
  // Custom order: temperature first changes which tokens make the nucleus.
  auto p = plain();
  p.temperature = 2.0f;
  p.top_p = 0.7f;
  p.steps = parse_steps("temperature;top_p");
  const auto hot = softmax(as_double(kLogits, 2.0));
  const auto expected = restrict_to(hot, nucleus(hot, 0.7));
  expect_fits(draw_counts(p, kLogits), expected, "temperature 2 then top-p .7");
  // The default order (top-p on the untempered distribution) keeps a different set.
  const auto cold = softmax(as_double(kLogits));
  EXPECT_NE(nucleus(cold, 0.7), nucleus(hot, 0.7));
}

TEST(SamplerStats, PenaltiesThenTopKWithBias) {
  auto p = plain();
  p.repeat_penalty = 2.0f;
  p.top_k = 4;
  p.logit_bias = {{9, 5.0f}};
  const std::vector<int32_t> history = {0};
  auto l = as_double(kLogits);
  l[9] += 5.0;     // 1.5
  l[0] /= 2.0;     // 1.0: drops to rank 4
  const auto base = softmax(l);
  std::vector<bool> keep(base.size(), false);
  for (size_t i : {9u, 1u, 2u, 0u}) keep[i] = true;  // 1.5, 1.5, 1.2, 1.0 (token 3 also 1.0: id 0 wins the tie)
  expect_fits(draw_counts(p, kLogits, history), restrict_to(base, keep), "bias + repeat penalty + top-k 4");
}

namespace {
// One mirostat draw at the initial mu, for a fresh state every time.
std::vector<int64_t> mirostat_counts(int version, float tau, uint64_t seed) {
  Mirostat m(version, tau, 0.1f, kLogits.size());
  Rng rng(seed);
  Candidates c;
  std::vector<int64_t> counts(kLogits.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    c.assign(kLogits);
    m.reset();
    ++counts[static_cast<size_t>(c[m.sample(c, rng)].id)];
  }
  return counts;
}
}  // namespace

TEST(SamplerStats, MirostatV2AtInitialMu) {
  const float tau = 1.5f;  // mu = 3 bits: keep tokens with -log2 p <= 3
  const auto base = softmax(as_double(kLogits));
  std::vector<bool> keep(base.size());
  for (size_t i = 0; i < base.size(); ++i) keep[i] = -std::log2(base[i]) <= 2 * tau;
  expect_fits(mirostat_counts(2, tau, 5), restrict_to(base, keep), "mirostat v2 (tau 1.5, first draw)");
}

TEST(SamplerStats, MirostatV1AtInitialMu) {
  const float tau = 2.0f;  // mu = 4: k = 5.68 here
  const auto base = softmax(as_double(kLogits));
  double num = 0, den = 0;
  for (size_t i = 0; i + 1 < base.size(); ++i) {
    const double t = std::log((i + 2.0) / (i + 1.0));
    num += t * std::log(base[i] / base[i + 1]);
    den += t * t;
  }
  const double s = num / den, eps = s - 1;
  const double k = std::pow(eps * std::pow(2.0, 2 * tau) / (1 - std::pow(10.0, -eps)), 1 / s);
  const size_t keep_n = std::clamp<size_t>(static_cast<size_t>(k), 1, base.size());
  ASSERT_GT(keep_n, 1u);
  ASSERT_LT(keep_n, base.size());
  std::vector<bool> keep(base.size(), false);
  for (size_t i = 0; i < keep_n; ++i) keep[i] = true;
  expect_fits(mirostat_counts(1, tau, 6), restrict_to(base, keep), "mirostat v1 (tau 2, first draw)");
}

TEST(SamplerStats, MirostatConvergesToTau) {
  // Over a long run the average surprise of the drawn tokens approaches tau.
  std::vector<float> logits(200);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = -0.05f * static_cast<float>(i);
  for (int version : {1, 2}) {
    Mirostat m(version, 5.0f, 0.1f, logits.size());
    Rng rng(9);
    Candidates c;
    double surprise = 0;
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
      c.assign(logits);
      const size_t k = m.sample(c, rng);
      if (i >= n / 2) surprise += -std::log2(static_cast<double>(c[k].p));
    }
    EXPECT_NEAR(surprise / (n / 2), 5.0, 0.25) << "mirostat v" << version;
  }
}

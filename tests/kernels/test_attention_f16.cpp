// Attention over an F16 cache (llama.cpp flash-attention numerics): SIMD equals the scalar
// reference bit for bit, and the reference is close to exact attention computed in double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref.h"
#include "tensor/fp16.h"

namespace hearth::kernels {
namespace {

struct Problem {
  int64_t n_q, dk, dv, max_keys;
  std::vector<float> q;
  std::vector<uint16_t> k, v;
  std::vector<int64_t> n_keys;

  Problem(int64_t nq, int64_t dk_, int64_t dv_, int64_t keys, uint32_t seed) : n_q(nq), dk(dk_), dv(dv_), max_keys(keys) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    q.resize(static_cast<size_t>(n_q * dk));
    for (auto& x : q) x = 2.0f * nd(rng);
    k.resize(static_cast<size_t>(max_keys * dk));
    v.resize(static_cast<size_t>(max_keys * dv));
    for (auto& x : k) x = fp32_to_fp16(nd(rng));
    for (auto& x : v) x = fp32_to_fp16(nd(rng));
    // Causal-looking prefixes ending at max_keys, with a few rows seeing a single key.
    for (int64_t r = 0; r < n_q; ++r) n_keys.push_back(std::max<int64_t>(1, max_keys - (n_q - 1 - r) * 3));
  }

  AttnF16Job job(std::vector<float>& out, bool tiled) const {
    out.assign(static_cast<size_t>(n_q * dv), std::numeric_limits<float>::quiet_NaN());
    AttnF16Job j;
    j.q = q.data();
    j.q_stride = dk;
    j.n_q = n_q;
    j.n_keys = n_keys.data();
    j.k = k.data();
    j.v = v.data();
    j.k_stride = dk;
    j.v_stride = dv;
    j.dk = dk;
    j.dv = dv;
    j.scale = 1.0f / std::sqrt(static_cast<float>(dk));
    j.out = out.data();
    j.out_stride = dv;
    j.tiled = tiled;
    return j;
  }

  // Softmax attention in double from the same (F16) keys and values.
  std::vector<double> exact() const {
    std::vector<double> out(static_cast<size_t>(n_q * dv), 0.0);
    const double scale = 1.0 / std::sqrt(static_cast<double>(dk));
    for (int64_t r = 0; r < n_q; ++r) {
      std::vector<double> s(static_cast<size_t>(n_keys[r]));
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < n_keys[r]; ++j) {
        double d = 0;
        for (int64_t e = 0; e < dk; ++e) d += static_cast<double>(q[r * dk + e]) * fp16_to_fp32(k[j * dk + e]);
        s[j] = d * scale;
        mx = std::max(mx, s[j]);
      }
      for (auto& x : s) sum += (x = std::exp(x - mx));
      for (int64_t j = 0; j < n_keys[r]; ++j)
        for (int64_t e = 0; e < dv; ++e) out[r * dv + e] += s[j] / sum * fp16_to_fp32(v[j * dv + e]);
    }
    return out;
  }
};

struct Shape { int64_t n_q, dk, dv, keys; };
const Shape kShapes[] = {{1, 64, 64, 1},   {1, 64, 64, 5},    {3, 64, 64, 63},   {16, 64, 64, 64}, {7, 64, 64, 65},
                         {21, 128, 128, 130}, {5, 80, 40, 77}, {16, 64, 64, 200}, {2, 128, 64, 300}};

TEST(AttentionF16, ReferenceIsCloseToExactAttention) {
  for (bool tiled : {false, true}) {
    for (const auto& sh : kShapes) {
      const Problem p(sh.n_q, sh.dk, sh.dv, sh.keys, 7);
      std::vector<float> out;
      ref::attend_f16(p.job(out, tiled));
      const auto want = p.exact();
      // Online: the V sum is kept in F16 (11-bit mantissa), so ~1e-3 relative; tiled is F32.
      const double tol = tiled ? 2e-5 : 4e-3;
      for (size_t i = 0; i < out.size(); ++i)
        ASSERT_NEAR(out[i], want[i], tol * (1.0 + std::abs(want[i])))
            << "tiled=" << tiled << " n_q=" << sh.n_q << " dk=" << sh.dk << " keys=" << sh.keys << " i=" << i;
    }
  }
}

TEST(AttentionF16, SimdEqualsReferenceBitForBit) {
  const auto isas = supported_isas(detect_cpu_features());
  for (Isa isa : isas) {
    if (isa == Isa::Scalar) continue;
    SCOPED_TRACE(std::string(isa_name(isa)));
    for (bool tiled : {false, true}) {
      for (const auto& sh : kShapes) {
        const Problem p(sh.n_q, sh.dk, sh.dv, sh.keys, 11);
        std::vector<float> want, got;
        ref::attend_f16(p.job(want, tiled));
        kernel_table(isa).ops.attend_f16(p.job(got, tiled));
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
            << "tiled=" << tiled << " n_q=" << sh.n_q << " dk=" << sh.dk << " dv=" << sh.dv << " keys=" << sh.keys;
      }
    }
  }
}

TEST(AttentionF16, SimdExpMatchesExpWithinTwoUlps) {
  EXPECT_EQ(ref::ggml_simd_expf(-INFINITY), 0.0f);
  EXPECT_EQ(ref::ggml_simd_expf(0.0f), 1.0f);
  for (float x = -80.0f; x <= 0.0f; x += 0.0137f) {
    const float want = std::exp(x), got = ref::ggml_simd_expf(x);
    EXPECT_NEAR(got, want, 2.5f * std::abs(want) * std::numeric_limits<float>::epsilon()) << x;
  }
}

}  // namespace
}  // namespace hearth::kernels

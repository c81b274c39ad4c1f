// K-quant dot products whose result is an exactly representable integer: raw random blocks
// (every code, scale and min bit pattern) with power-of-two block scales and small
// activations, so that every partial sum in any order is exact in float. The SIMD kernels
// must then equal the scalar reference bit for bit, which checks their integer paths
// (code/scale decoding, mins and code offsets through the block sums) exactly. A saturation
// case uses every code and scale at its maximum against -128 / 127 activations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "kernel_test_util.h"
#include "tensor/blocks.h"

namespace hearth::kernels::test {
namespace {

using tensor::BlockQ8_K;
using tensor::kQK_K;

constexpr uint16_t kHalfOne = 0x3C00, kHalfTwo = 0x4000, kHalfQuarter = 0x3400;

// Q8_K row with d = dy and codes from `code(i)`; bsums recomputed.
std::vector<BlockQ8_K> q8k_row(int64_t n, float dy, auto code) {
  std::vector<BlockQ8_K> a(static_cast<size_t>(n / kQK_K));
  for (size_t b = 0; b < a.size(); ++b) {
    a[b].d = dy;
    for (int j = 0; j < kQK_K; ++j) a[b].qs[j] = static_cast<int8_t>(code(static_cast<int64_t>(b) * kQK_K + j));
    for (int k = 0; k < kQK_K / 16; ++k) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += a[b].qs[16 * k + l];
      a[b].bsums[k] = static_cast<int16_t>(s);
    }
  }
  return a;
}

// Raw random weight row of type t whose fp16 scales (d, and dmin where present) are `half`.
std::vector<uint8_t> raw_row(GgmlType t, int64_t n, std::mt19937& rng, uint16_t half) {
  const size_t bs = row_size(t, kQK_K);
  std::vector<uint8_t> w(row_size(t, n));
  for (auto& v : w) v = static_cast<uint8_t>(rng());
  for (size_t b = 0; b < w.size() / bs; ++b) {
    uint8_t* blk = w.data() + b * bs;
    if (t == GgmlType::Q6_K) {
      std::memcpy(blk + offsetof(tensor::BlockQ6_K, d), &half, 2);
    } else {  // Q4_K / Q5_K / Q2_K: d then dmin first
      std::memcpy(blk + offsetof(tensor::BlockQ4_K, d), &half, 2);
      std::memcpy(blk + offsetof(tensor::BlockQ4_K, dmin), &half, 2);
    }
  }
  return w;
}

void expect_exact(GgmlType t, int64_t n, const void* w, const void* a, const std::string& what) {
  float expect = 0.0f;
  kernel_table(Isa::Scalar).types[static_cast<size_t>(t)].vec_dot(n, &expect, w, a);
  for (Isa isa : simd_isas()) {
    if (isa != Isa::Avx512) continue;  // the AVX-512 Q4_K/Q6_K row dots are integer to the last fold
    float got = 0.0f;
    kernel_table(isa).types[static_cast<size_t>(t)].vec_dot(n, &got, w, a);
    EXPECT_EQ(got, expect) << isa_name(isa) << " " << type_name(t) << " n=" << n << " " << what;
  }
}

TEST(KQuantExact, RandomBlocksSmallActivations) {
  std::mt19937 rng(1234);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K})
    for (int64_t n : {256, 512, 4352})
      for (int rep = 0; rep < 8; ++rep) {
        const uint16_t half = rep % 3 == 0 ? kHalfOne : rep % 3 == 1 ? kHalfTwo : kHalfQuarter;
        const auto w = raw_row(t, n, rng, half);
        // |a| <= 15 (plus rare -128/127) keeps the sum of |terms| below 2^24.
        std::uniform_int_distribution<int> small(-15, 15);
        std::vector<int> codes(static_cast<size_t>(n));
        for (auto& c : codes) c = small(rng);
        codes[static_cast<size_t>(rep % n)] = -128;
        codes[static_cast<size_t>((7 * rep + 100) % n)] = 127;
        const auto a = q8k_row(n, rep % 2 ? 0.5f : 1.0f, [&](int64_t i) { return codes[static_cast<size_t>(i)]; });
        expect_exact(t, n, w.data(), a.data(), "rep " + std::to_string(rep));
      }
}

// The interleaved gemm tiles: every (row, token) of odd-sized tiles equals the reference.
TEST(KQuantExact, GemmTilesRandomBlocks) {
  std::mt19937 rng(99);
  const auto& ref = kernel_table(Isa::Scalar);
  const auto isas = simd_isas();
  if (std::ranges::find(isas, Isa::Avx512) == isas.end()) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K}) {
    const TypeKernels& tk = kernel_table(Isa::Avx512).types[static_cast<size_t>(t)];
    ASSERT_NE(tk.gemm, nullptr) << type_name(t);
    for (int64_t n : {256, 1280}) {
      const int nr = tk.gemm_rows, nc = 11;
      std::vector<uint8_t> w;
      for (int r = 0; r < nr; ++r) {
        const auto row = raw_row(t, n, rng, r % 2 ? kHalfOne : kHalfQuarter);
        w.insert(w.end(), row.begin(), row.end());
      }
      const size_t ws = row_size(t, n), as = row_size(GgmlType::Q8_K, n);
      std::uniform_int_distribution<int> small(-15, 15);
      std::vector<uint8_t> act;
      for (int c = 0; c < nc; ++c) {
        const auto a = q8k_row(n, c % 2 ? 0.5f : 1.0f, [&](int64_t i) { return i == c ? -128 : small(rng); });
        const auto* bytes = reinterpret_cast<const uint8_t*>(a.data());
        act.insert(act.end(), bytes, bytes + as);
      }
      for (int rr : {nr, 17, 1})
        for (int cc : {nc, 4, 3, 1}) {  // up to 3 tokens take the row-dot path
          std::vector<float> out(static_cast<size_t>(rr * cc));
          tk.gemm(n, rr, cc, w.data(), ws, act.data(), as, out.data(), rr);
          for (int c = 0; c < cc; ++c)
            for (int r = 0; r < rr; ++r) {
              float expect = 0.0f;
              ref.types[static_cast<size_t>(t)].vec_dot(n, &expect, w.data() + r * ws, act.data() + c * as);
              EXPECT_EQ(out[static_cast<size_t>(c * rr + r)], expect)
                  << type_name(t) << " n=" << n << " tile " << rr << "x" << cc << " at " << r << "," << c;
            }
        }
    }
  }
}

TEST(KQuantExact, SaturatedCodesAndScales) {
  for (int sign : {-1, 1}) {
    const int64_t n = 512;
    const auto a = q8k_row(n, 1.0f, [&](int64_t) { return sign < 0 ? -128 : 127; });
    {
      std::vector<tensor::BlockQ4_K> w(2);
      for (auto& b : w) {
        std::memcpy(&b.d, &kHalfOne, 2);
        std::memcpy(&b.dmin, &kHalfOne, 2);
        std::memset(b.scales, 0xFF, sizeof b.scales);  // every scale and min = 63
        std::memset(b.qs, 0xFF, sizeof b.qs);          // every code = 15
      }
      expect_exact(GgmlType::Q4_K, n, w.data(), a.data(), "saturated");
    }
    for (int8_t sc : {int8_t{127}, int8_t{-128}}) {
      std::vector<tensor::BlockQ6_K> w(2);
      for (auto& b : w) {
        std::memcpy(&b.d, &kHalfOne, 2);
        std::memset(b.scales, static_cast<uint8_t>(sc), sizeof b.scales);
        std::memset(b.ql, 0xFF, sizeof b.ql);  // every code = 63 (+31 after the offset)
        std::memset(b.qh, 0xFF, sizeof b.qh);
      }
      expect_exact(GgmlType::Q6_K, n, w.data(), a.data(), "saturated scale " + std::to_string(sc));
      for (auto& b : w) {  // every code = 0 (-32 after the offset)
        std::memset(b.ql, 0, sizeof b.ql);
        std::memset(b.qh, 0, sizeof b.qh);
      }
      expect_exact(GgmlType::Q6_K, n, w.data(), a.data(), "zero codes scale " + std::to_string(sc));
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::test

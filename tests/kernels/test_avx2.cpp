// AVX2 kernels against the scalar reference, with the contract of src/kernels/avx2/avx2.h:
// integer weight types give the reference's float bit for bit (vec_dot, gemm tiles and the
// activation converters), float weight types stay within the fp32 summation bound.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/matmul.h"
#include "tensor/blocks.h"

namespace hearth::kernels::test {
namespace {

using namespace hearth::tensor;

bool have_avx2() { return detect_cpu_features().has_avx2_set(); }
#define REQUIRE_AVX2() \
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C"

const TypeKernels& avx2_kernels(GgmlType t) { return kernel_table(Isa::Avx2).types[static_cast<size_t>(t)]; }
const TypeKernels& ref_kernels(GgmlType t) { return kernel_table(Isa::Scalar).types[static_cast<size_t>(t)]; }

const std::vector<GgmlType>& integer_types() {
  static const std::vector<GgmlType> types = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                              GgmlType::Q8_0, GgmlType::IQ4_NL, GgmlType::Q2_K, GgmlType::Q3_K,
                                              GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  return types;
}
const std::vector<GgmlType>& float_types() {
  static const std::vector<GgmlType> types = {GgmlType::F32, GgmlType::F16, GgmlType::BF16};
  return types;
}

std::string label(GgmlType t, int64_t k) { return std::string(type_name(t)) + " k=" + std::to_string(k); }

// A finite fp16 scale of either sign, magnitude 2^-12 .. 2^-2.
fp16_t random_scale(std::mt19937& rng) {
  std::uniform_real_distribution<float> mag(-12.0f, -2.0f);
  const float v = std::exp2(mag(rng)) * ((rng() & 1) ? -1.0f : 1.0f);
  return fp32_to_fp16(v);
}

// Weight rows of raw random bytes: every code, high-bit and sub-block scale pattern occurs
// (Q8_0 codes include -128, Q6_K/Q3_K scales both signs), with finite fp16 block scales.
std::vector<uint8_t> random_rows(GgmlType t, int64_t rows, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t stride = row_size(t, k);
  std::vector<uint8_t> data(stride * static_cast<size_t>(rows));
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const int64_t nb = k / block_size(t);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = data.data() + r * stride;
    for (int64_t i = 0; i < nb; ++i) {
      auto fix = [&](auto* blocks) {
        auto& b = blocks[i];
        b.d = random_scale(rng);
        if constexpr (requires { b.m; }) b.m = random_scale(rng);
        if constexpr (requires { b.dmin; }) b.dmin = random_scale(rng);
      };
      switch (t) {
        case GgmlType::Q4_0: fix(reinterpret_cast<BlockQ4_0*>(row)); break;
        case GgmlType::Q4_1: fix(reinterpret_cast<BlockQ4_1*>(row)); break;
        case GgmlType::Q5_0: fix(reinterpret_cast<BlockQ5_0*>(row)); break;
        case GgmlType::Q5_1: fix(reinterpret_cast<BlockQ5_1*>(row)); break;
        case GgmlType::Q8_0: fix(reinterpret_cast<BlockQ8_0*>(row)); break;
        case GgmlType::IQ4_NL: fix(reinterpret_cast<BlockIQ4_NL*>(row)); break;
        case GgmlType::Q2_K: fix(reinterpret_cast<BlockQ2_K*>(row)); break;
        case GgmlType::Q3_K: fix(reinterpret_cast<BlockQ3_K*>(row)); break;
        case GgmlType::Q4_K: fix(reinterpret_cast<BlockQ4_K*>(row)); break;
        case GgmlType::Q5_K: fix(reinterpret_cast<BlockQ5_K*>(row)); break;
        case GgmlType::Q6_K: fix(reinterpret_cast<BlockQ6_K*>(row)); break;
        default: ADD_FAILURE() << "no random block layout for " << type_name(t);
      }
    }
  }
  return data;
}

// Activations converted by the reference; block 1 (when present) saturates at +-127.
std::vector<uint8_t> activations(GgmlType weight_type, int64_t cols, int64_t k, uint32_t seed) {
  const TypeKernels& ref = ref_kernels(weight_type);
  const size_t stride = row_size(ref.act_type, k);
  std::vector<uint8_t> out(stride * static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) {
    auto x = random_floats(static_cast<size_t>(k), seed + static_cast<uint32_t>(c), 2.0f);
    const int64_t bs = block_size(ref.act_type);
    if (k >= 2 * bs)
      for (int64_t i = bs; i < 2 * bs; ++i) x[static_cast<size_t>(i)] = (i % 3 == 0) ? -5.0f : 5.0f;
    ref.convert_act(x.data(), out.data() + c * stride, k);
  }
  return out;
}

// Bit-level equality (also tells -0 from +0).
void expect_same_float(float got, float want, const std::string& what) {
  EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want)) << what << ": got " << got << " want " << want;
}

TEST(Avx2Table, CoversEveryRequiredType) {
  REQUIRE_AVX2();
  for (GgmlType t : integer_types()) {
    EXPECT_NE(avx2_kernels(t).vec_dot, ref_kernels(t).vec_dot) << type_name(t);
    EXPECT_NE(avx2_kernels(t).gemm, nullptr) << type_name(t);
  }
  for (GgmlType t : float_types()) {
    EXPECT_NE(avx2_kernels(t).vec_dot, ref_kernels(t).vec_dot) << type_name(t);
    EXPECT_NE(avx2_kernels(t).gemm, nullptr) << type_name(t);
  }
  EXPECT_EQ(kernel_table(Isa::Avx2).isa, Isa::Avx2);
}

TEST(Avx2ConvertAct, ByteIdenticalToReference) {
  REQUIRE_AVX2();
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q2_K, GgmlType::F16, GgmlType::BF16}) {
    const auto conv = avx2_kernels(t).convert_act, conv_ref = ref_kernels(t).convert_act;
    const GgmlType at = ref_kernels(t).act_type;
    const int64_t bs = block_size(at);
    for (int64_t blocks : {1, 2, 3, 9}) {
      for (int64_t extra : {0, 1, 7, 13}) {
        if (bs > 1 && extra) continue;  // quantized formats take whole blocks only
        const int64_t k = blocks * (bs > 1 ? bs : 32) + extra;
        auto x = random_floats(static_cast<size_t>(k), 40u + static_cast<uint32_t>(k), 3.0f);
        // Ties at +-0.5 after scaling, a zero block, repeated maxima, subnormals, huge values.
        for (int64_t i = 0; i < std::min<int64_t>(k, 32); ++i) x[static_cast<size_t>(i)] = static_cast<float>(i) - 15.5f;
        x[0] = 127.0f;
        if (k > 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
        if (k > 70) x[64] = -3.0f, x[65] = 3.0f, x[66] = 1e-41f, x[67] = -7e4f;
        // Q8_K keeps the first of two maxima of opposite sign (the sign of every code depends on it).
        if (k >= 512) x[300] = -50.0f, x[301] = 50.0f;
        std::vector<uint8_t> a(row_size(at, k)), b(a.size(), 0xAB);
        conv_ref(x.data(), a.data(), k);
        conv(x.data(), b.data(), k);
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size())) << label(t, k);
      }
    }
  }
}

TEST(Avx2VecDot, IntegerTypesEqualReferenceExactly) {
  REQUIRE_AVX2();
  for (GgmlType t : integer_types()) {
    const int64_t bs = block_size(t);
    for (int64_t blocks : {1, 2, 3, 7, 8, 9, 16, 17, 31}) {
      const int64_t k = blocks * bs;
      const int64_t rows = 5;
      const auto w = random_rows(t, rows, k, 1000u + static_cast<uint32_t>(k));
      const auto act = activations(t, 1, k, 2000u + static_cast<uint32_t>(k));
      const size_t ws = row_size(t, k);
      for (int64_t r = 0; r < rows; ++r) {
        float want = 0.0f, got = 0.0f;
        ref_kernels(t).vec_dot(k, &want, w.data() + r * ws, act.data());
        avx2_kernels(t).vec_dot(k, &got, w.data() + r * ws, act.data());
        ASSERT_TRUE(std::isfinite(want));
        expect_same_float(got, want, label(t, k) + " row " + std::to_string(r));
      }
    }
  }
}

// Quantized (realistic) weights too: the reference quantizer's codes and scales.
TEST(Avx2VecDot, QuantizedWeightsEqualReferenceExactly) {
  REQUIRE_AVX2();
  for (GgmlType t : integer_types())
    for (int64_t k : test_lengths(t)) {
      const QMatrix w(t, 3, k, 50u + static_cast<uint32_t>(k));
      const auto act = activations(t, 1, k, 60u);
      for (int64_t r = 0; r < w.rows; ++r) {
        float want = 0.0f, got = 0.0f;
        ref_kernels(t).vec_dot(k, &want, w.row(r), act.data());
        avx2_kernels(t).vec_dot(k, &got, w.row(r), act.data());
        expect_same_float(got, want, label(t, k));
      }
    }
}

// Every tile shape the driver can request (nr <= gemm_rows, nc <= gemm_cols), exactly.
TEST(Avx2Gemm, IntegerTilesEqualReferenceExactly) {
  REQUIRE_AVX2();
  for (GgmlType t : integer_types()) {
    const TypeKernels& tk = avx2_kernels(t);
    ASSERT_NE(tk.gemm, nullptr);
    const int max_r = tk.gemm_rows, max_c = tk.gemm_cols;
    for (int64_t blocks : {1, 3, 9}) {
      const int64_t k = blocks * block_size(t);
      const auto w = random_rows(t, max_r, k, 3000u + static_cast<uint32_t>(k));
      const auto act = activations(t, max_c, k, 4000u);
      const size_t ws = row_size(t, k), as = row_size(tk.act_type, k);
      for (int rr : {1, 2, 3, 4, 5, 7, max_r})
        for (int cc : {1, 2, 3, 5, max_c}) {
          const int64_t ldo = rr + 2;
          std::vector<float> out(static_cast<size_t>(ldo * cc), -7.0f);
          tk.gemm(k, rr, cc, w.data(), ws, act.data(), as, out.data(), ldo);
          for (int c = 0; c < cc; ++c) {
            for (int r = 0; r < rr; ++r) {
              float want = 0.0f;
              ref_kernels(t).vec_dot(k, &want, w.data() + r * ws, act.data() + c * as);
              expect_same_float(out[static_cast<size_t>(c * ldo + r)], want,
                                label(t, k) + " tile " + std::to_string(rr) + "x" + std::to_string(cc) + " at " +
                                    std::to_string(r) + "," + std::to_string(c));
            }
            for (int64_t r = rr; r < ldo; ++r) EXPECT_EQ(out[static_cast<size_t>(c * ldo + r)], -7.0f);
          }
          if (::testing::Test::HasFailure()) return;
        }
    }
  }
}

// Float weights: fp32 lane accumulation of exact products. Bound: (n/8 + 8) * 2^-24 * sum|x*y|
// (at most n/8 additions per lane plus the final reduction; the reference sums in double).
double float_bound(GgmlType t, const uint8_t* w, const uint8_t* a, int64_t n) {
  std::vector<float> x(static_cast<size_t>(n)), y(x.size());
  tensor::dequantize_row(t, w, x.data(), n);
  tensor::dequantize_row(t, a, y.data(), n);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(x[static_cast<size_t>(i)]) * y[static_cast<size_t>(i)]);
  return (static_cast<double>(n) / 8.0 + 8.0) * 0x1p-24 * s;
}

std::vector<uint8_t> float_rows(GgmlType t, int64_t rows, int64_t k, uint32_t seed) {
  const auto f = random_floats(static_cast<size_t>(rows * k), seed);
  const size_t stride = row_size(t, k);
  std::vector<uint8_t> out(stride * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) tensor::quantize_row(t, f.data() + r * k, out.data() + r * stride, k);
  return out;
}

TEST(Avx2VecDot, FloatTypesWithinSummationBound) {
  REQUIRE_AVX2();
  for (GgmlType t : float_types())
    for (int64_t k : {1, 7, 8, 9, 31, 33, 100, 257, 4352}) {
      const auto w = float_rows(t, 2, k, 70u + static_cast<uint32_t>(k));
      const auto a = float_rows(t, 1, k, 80u + static_cast<uint32_t>(k));
      const size_t ws = row_size(t, k);
      for (int r = 0; r < 2; ++r) {
        float want = 0.0f, got = 0.0f;
        ref_kernels(t).vec_dot(k, &want, w.data() + r * ws, a.data());
        avx2_kernels(t).vec_dot(k, &got, w.data() + r * ws, a.data());
        EXPECT_NEAR(got, want, float_bound(t, w.data() + r * ws, a.data(), k)) << label(t, k);
      }
    }
}

TEST(Avx2Gemm, FloatTilesWithinSummationBound) {
  REQUIRE_AVX2();
  for (GgmlType t : float_types()) {
    const TypeKernels& tk = avx2_kernels(t);
    for (int64_t k : {5, 8, 100, 264}) {
      const auto w = float_rows(t, tk.gemm_rows, k, 90u);
      const auto a = float_rows(t, tk.gemm_cols, k, 91u);
      const size_t ws = row_size(t, k);
      for (int rr : {1, 3, 4, 5, tk.gemm_rows})
        for (int cc : {1, 2, 3, 4, 7, tk.gemm_cols}) {
          const int64_t ldo = rr + 1;
          std::vector<float> out(static_cast<size_t>(ldo * cc), -7.0f);
          tk.gemm(k, rr, cc, w.data(), ws, a.data(), ws, out.data(), ldo);
          for (int c = 0; c < cc; ++c) {
            for (int r = 0; r < rr; ++r) {
              float want = 0.0f;
              ref_kernels(t).vec_dot(k, &want, w.data() + r * ws, a.data() + c * ws);
              EXPECT_NEAR(out[static_cast<size_t>(c * ldo + r)], want, float_bound(t, w.data() + r * ws, a.data() + c * ws, k))
                  << label(t, k) << " tile " << rr << "x" << cc;
            }
            EXPECT_EQ(out[static_cast<size_t>(c * ldo + rr)], -7.0f);
          }
        }
    }
  }
}

// Through the matmul driver (activation conversion, gemm and vec_dot paths, 2 threads):
// integer types give the scalar table's output bit for bit.
TEST(Avx2Matmul, IntegerTypesEqualScalarTableExactly) {
  REQUIRE_AVX2();
  ThreadPool pool(2);
  for (GgmlType t : integer_types()) {
    const int64_t k = 3 * (block_size(t) == 256 ? 256 : 96);
    const QMatrix w(t, 37, k, 123u);
    for (int64_t n_tokens : {1, 3, 70}) {
      const auto x = random_floats(static_cast<size_t>(n_tokens * k), 321u);
      std::vector<float> y_ref(static_cast<size_t>(n_tokens * w.rows)), y(y_ref.size());
      Workspace ws1, ws2;
      matmul({pool, kernel_table(Isa::Scalar), ws1}, w.matrix(), x.data(), n_tokens, y_ref.data());
      matmul({pool, kernel_table(Isa::Avx2), ws2}, w.matrix(), x.data(), n_tokens, y.data());
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(y_ref[i]))
            << type_name(t) << " tokens=" << n_tokens << " at " << i;
    }
  }
}

TEST(Avx2Ops, TailsAndExactOps) {
  REQUIRE_AVX2();
  const OpKernels& ref = kernel_table(Isa::Scalar).ops;
  const OpKernels& op = kernel_table(Isa::Avx2).ops;
  for (int64_t n = 1; n <= 41; ++n) {
    const auto a = random_floats(static_cast<size_t>(n) + 8, 5u + static_cast<uint32_t>(n), 3.0f);
    const auto b = random_floats(static_cast<size_t>(n) + 8, 6u + static_cast<uint32_t>(n), 3.0f);
    // add is exact; nothing past n is written (the guard values stay).
    std::vector<float> y1 = a, y2 = a;
    ref.add(y1.data(), b.data(), n);
    op.add(y2.data(), b.data(), n);
    EXPECT_EQ(y1, y2) << "add n=" << n;
    std::vector<float> r1(a.size(), 9.0f), r2(a.size(), 9.0f);
    ref.rms_norm(a.data(), b.data(), r1.data(), n, 1e-6f);
    op.rms_norm(a.data(), b.data(), r2.data(), n, 1e-6f);
    for (size_t i = 0; i < r1.size(); ++i) ASSERT_NEAR(r2[i], r1[i], 1e-6 * std::fabs(r1[i])) << "rms_norm n=" << n;
    ref.silu_mul(a.data(), b.data(), r1.data(), n);
    op.silu_mul(a.data(), b.data(), r2.data(), n);
    for (size_t i = 0; i < r1.size(); ++i) ASSERT_NEAR(r2[i], r1[i], 4e-6 * std::fabs(r1[i]) + 1e-30) << "silu n=" << n;
  }
  // silu saturation and the exp range ends.
  const std::vector<float> g = {-1000.0f, -100.0f, -88.0f, -80.0f, 0.0f, 80.0f, 88.0f, 89.0f, 100.0f};
  const std::vector<float> u(g.size(), 1.5f);
  std::vector<float> s1(g.size()), s2(g.size());
  ref.silu_mul(g.data(), u.data(), s1.data(), static_cast<int64_t>(g.size()));
  op.silu_mul(g.data(), u.data(), s2.data(), static_cast<int64_t>(g.size()));
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(s2[i], s1[i], 4e-6 * std::fabs(s1[i]) + 1e-30) << "g=" << g[i];
}

}  // namespace
}  // namespace hearth::kernels::test

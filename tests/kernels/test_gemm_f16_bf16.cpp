// The AVX512_BF16 prompt tile for F16 weights (src/kernels/avx512/gemm_f16_bf16.cpp) against a
// double-precision reference computed on the same bf16-rounded operands: the only difference
// left is fp32 accumulation order, bounded by (pairs + 2) * 2^-24 * sum |terms| (pairs = k/2
// sequential fp32 additions per output lane).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/avx512/avx512.h"
#include "tensor/fp16.h"

namespace hearth::kernels::test {
namespace {

using hearth::bf16_to_fp32;
using hearth::fp16_to_fp32;
using hearth::fp32_to_bf16;
using hearth::fp32_to_fp16;

bool have_bf16() {
  const CpuFeatures cpu = detect_cpu_features();
  return cpu.has_avx512_set() && cpu.avx512bf16;
}

// rows x k F16 values with `pad` extra F16 NaNs per row (must never be read).
struct F16Rows {
  int64_t rows, k;
  size_t stride;  // bytes
  std::vector<uint16_t> data;
  std::vector<float> bf;  // the values rounded F16 -> bf16, as floats
  F16Rows(int64_t r, int64_t kk, int64_t pad, uint32_t seed)
      : rows(r), k(kk), stride(static_cast<size_t>(kk + pad) * 2) {
    const auto f = random_floats(static_cast<size_t>(r * kk), seed);
    data.assign(static_cast<size_t>(r * (kk + pad)), 0x7E00);  // quiet NaN in the padding
    bf.resize(f.size());
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < kk; ++j) {
        const uint16_t h = fp32_to_fp16(f[static_cast<size_t>(i * kk + j)]);
        data[static_cast<size_t>(i * (kk + pad) + j)] = h;
        bf[static_cast<size_t>(i * kk + j)] = bf16_to_fp32(fp32_to_bf16(fp16_to_fp32(h)));
      }
  }
};

void check_tile(int64_t k, int nr, int nc) {
  const F16Rows w(nr, k, 5, 1000u + static_cast<uint32_t>(k * 7 + nr));
  const F16Rows a(nc, k, 3, 2000u + static_cast<uint32_t>(k * 11 + nc));
  const int64_t ldo = nr + 5;
  std::vector<float> out(static_cast<size_t>(ldo * nc), -1.0f);
  avx512::gemm_f16_bf16()(k, nr, nc, w.data.data(), w.stride, a.data.data(), a.stride, out.data(), ldo);
  const double pairs = static_cast<double>((k + 1) / 2);
  for (int c = 0; c < nc; ++c) {
    for (int r = 0; r < nr; ++r) {
      double expect = 0.0, mag = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        const double p =
            static_cast<double>(w.bf[static_cast<size_t>(r * k + i)]) * a.bf[static_cast<size_t>(c * k + i)];
        expect += p;
        mag += std::fabs(p);
      }
      const double tol = (pairs + 2.0) * std::ldexp(1.0, -24) * mag + 1e-30;
      ASSERT_NEAR(out[static_cast<size_t>(c * ldo + r)], expect, tol)
          << "k=" << k << " tile " << nr << "x" << nc << " at row " << r << " token " << c;
    }
    for (int64_t r = nr; r < ldo; ++r)  // nothing written outside the tile
      ASSERT_EQ(out[static_cast<size_t>(c * ldo + r)], -1.0f) << "k=" << k << " tile " << nr << "x" << nc;
  }
}

TEST(GemmF16Bf16, MatchesBf16RoundedReference) {
  if (!have_bf16()) GTEST_SKIP() << "CPU lacks AVX512_BF16";
  // k: below one 32-element chunk, odd, exact chunks, chunk + tail; rows: panel (16) and
  // register-tile (32) edges; tokens: register-tile (12) edges and the registered maximum.
  for (int64_t k : {1, 7, 31, 32, 33, 100, 288})
    for (int nr : {1, 5, 16, 17, 32, 33, 64, 70})
      for (int nc : {1, 2, 11, 12, 13, 25}) check_tile(k, nr, nc);
  for (int nc : {avx512::kF16Bf16Cols, avx512::kF16Bf16Cols + 7}) check_tile(2051, avx512::kF16Bf16Rows, nc);
  check_tile(5632, 17, 13);
}

// The registered F16 entry uses this tile for large batches when the CPU has AVX512_BF16
// (unless HEARTH_F16_GEMM changes the threshold or turns it off).
TEST(GemmF16Bf16, RegisteredForLargeBatches) {
  if (!have_bf16()) GTEST_SKIP() << "CPU lacks AVX512_BF16";
  if (std::getenv("HEARTH_F16_GEMM")) GTEST_SKIP() << "threshold overridden by HEARTH_F16_GEMM";
  const TypeKernels& tk = kernel_table(Isa::Avx512).types[static_cast<size_t>(GgmlType::F16)];
  EXPECT_EQ(tk.large_gemm, avx512::gemm_f16_bf16());
  EXPECT_EQ(tk.large_gemm_rows, avx512::kF16Bf16Rows);
  EXPECT_EQ(tk.large_gemm_cols, avx512::kF16Bf16Cols);
  EXPECT_GT(tk.large_gemm_min_tokens, 1);
  // Small batches and matrix-vector products keep the exact F16 kernels.
  EXPECT_NE(tk.gemm, avx512::gemm_f16_bf16());
  EXPECT_EQ(tk.act_type, GgmlType::F16);
}

}  // namespace
}  // namespace hearth::kernels::test

// SIMD activation converters and dot products against the scalar reference.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "kernel_test_util.h"

namespace hearth::kernels::test {
namespace {

std::string label(Isa isa, GgmlType t, int64_t k) {
  return std::string(isa_name(isa)) + " " + std::string(type_name(t)) + " k=" + std::to_string(k);
}

TEST(KernelTables, EveryTestedTypeHasAKernel) {
  for (Isa isa : supported_isas(detect_cpu_features())) {
    for (GgmlType t : weight_types()) {
      const TypeKernels& tk = kernel_table(isa).types[static_cast<size_t>(t)];
      ASSERT_NE(tk.vec_dot, nullptr) << label(isa, t, 0);
      EXPECT_EQ(tk.act_type, tensor::vec_dot_type(t)) << label(isa, t, 0);
      EXPECT_EQ(tk.convert_act == nullptr, tk.act_type == GgmlType::F32) << label(isa, t, 0);
      if (tk.gemm) {
        EXPECT_GT(tk.gemm_rows * tk.gemm_cols, 0);
      }
    }
  }
}

// Integer activation formats (and F16/BF16 conversion) are byte-identical to the reference.
TEST(ConvertAct, SimdMatchesScalarBytes) {
  const auto& ref = kernel_table(Isa::Scalar);
  for (Isa isa : simd_isas())
    for (GgmlType t : weight_types()) {
      const TypeKernels& tk = kernel_table(isa).types[static_cast<size_t>(t)];
      if (!tk.convert_act) continue;
      const auto conv_ref = ref.types[static_cast<size_t>(t)].convert_act;
      for (int64_t k : {256, 512, 4352}) {
        auto x = random_floats(static_cast<size_t>(k), 7u + static_cast<uint32_t>(k), 3.0f);
        // Edge cases: an all-zero 256-block, exact rounding ties (amax 127 -> d = 1), repeated
        // maxima of both signs (Q8_K keeps the first), tiny and huge magnitudes.
        std::fill(x.begin(), x.begin() + 256, 0.0f);
        if (k >= 512) {
          float* e = x.data() + 256;
          e[0] = 127.0f;
          for (int j = 1; j < 32; ++j) e[j] = static_cast<float>(j) - 15.5f;
          e[32] = -4.0f;
          e[33] = 4.0f;
          for (int j = 34; j < 64; ++j) e[j] = 1e-30f * static_cast<float>(j);
          e[64] = 6e4f;
        }
        std::vector<uint8_t> a(row_size(tk.act_type, k)), b(a.size());
        conv_ref(x.data(), a.data(), k);
        tk.convert_act(x.data(), b.data(), k);
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size())) << label(isa, t, k);
      }
    }
}

TEST(VecDot, SimdMatchesScalar) {
  const auto& ref = kernel_table(Isa::Scalar);
  for (GgmlType t : weight_types())
    for (int64_t k : test_lengths(t)) {
      const QMatrix w(t, 3, k, 100u + static_cast<uint32_t>(k));
      const auto x = random_floats(static_cast<size_t>(k), 200u + static_cast<uint32_t>(k));
      const Act act(t, x.data(), k);
      for (int64_t r = 0; r < w.rows; ++r) {
        float expect = 0.0f;
        ref.types[static_cast<size_t>(t)].vec_dot(k, &expect, w.row(r), act.bytes.data());
        const double tol = dot_tolerance(w.deq.data() + r * k, act.deq.data(), k);
        // The reference itself must agree with the dequantized float dot product.
        double exact = 0.0;
        for (int64_t i = 0; i < k; ++i) exact += static_cast<double>(w.deq[static_cast<size_t>(r * k + i)]) * act.deq[static_cast<size_t>(i)];
        // (Q8_1 carries its block sum s rounded to fp16: a looser bound for that one term.)
        const bool q8_1 = tensor::vec_dot_type(t) == GgmlType::Q8_1;
        EXPECT_NEAR(expect, exact, q8_1 ? 100 * tol : tol) << "scalar " << label(Isa::Scalar, t, k);
        for (Isa isa : simd_isas()) {
          float got = 0.0f;
          kernel_table(isa).types[static_cast<size_t>(t)].vec_dot(k, &got, w.row(r), act.bytes.data());
          EXPECT_NEAR(got, expect, tol) << label(isa, t, k) << " row " << r;
        }
      }
    }
}

// gemm tiles of every shape up to the declared maximum against vec_dot.
TEST(Gemm, TilesMatchScalar) {
  const auto& ref = kernel_table(Isa::Scalar);
  for (Isa isa : simd_isas())
    for (GgmlType t : weight_types()) {
      const TypeKernels& tk = kernel_table(isa).types[static_cast<size_t>(t)];
      // The regular tile and, where registered, the large-batch tile.
      const auto tiles = {std::tuple{tk.gemm, tk.gemm_rows, tk.gemm_cols},
                          std::tuple{tk.large_gemm, tk.large_gemm_rows, tk.large_gemm_cols}};
      for (const auto& [gemm, gemm_rows, gemm_cols] : tiles) {
        if (!gemm) continue;
        const int64_t k = block_size(t) == 32 ? 288 : 512;
        const int nr = std::min(gemm_rows, 64), nc = std::min(gemm_cols, 33);
        const QMatrix w(t, nr, k, 300u);
        const auto x = random_floats(static_cast<size_t>(nc * k), 301u);
        std::vector<Act> acts;
        for (int c = 0; c < nc; ++c) acts.emplace_back(t, x.data() + c * k, k);
        const size_t as = acts[0].bytes.size();
        std::vector<uint8_t> packed(as * static_cast<size_t>(nc));
        for (int c = 0; c < nc; ++c) std::memcpy(packed.data() + c * as, acts[static_cast<size_t>(c)].bytes.data(), as);
        for (int rr : {1, 3, 16, 17, 33, nr})  // panel edges of the 16-row interleaved tiles
          for (int cc : {1, 2, 5, nc}) {
            if (rr > nr || cc > nc) continue;
            const int64_t ldo = rr + 3;
            std::vector<float> out(static_cast<size_t>(ldo * cc), -1.0f);
            gemm(k, rr, cc, w.data.data(), w.stride, packed.data(), as, out.data(), ldo);
            for (int c = 0; c < cc; ++c)
              for (int r = 0; r < rr; ++r) {
                float expect = 0.0f;
                const auto& act = acts[static_cast<size_t>(c)];
                ref.types[static_cast<size_t>(t)].vec_dot(k, &expect, w.row(r), act.bytes.data());
                const double tol = dot_tolerance(w.deq.data() + r * k, act.deq.data(), k, gemm_rel_tolerance(gemm, k));
                EXPECT_NEAR(out[static_cast<size_t>(c * ldo + r)], expect, tol)
                    << label(isa, t, k) << " tile " << rr << "x" << cc << " at " << r << "," << c;
              }
            for (int c = 0; c < cc; ++c)  // nothing written outside the tile
              for (int64_t r = rr; r < ldo; ++r) EXPECT_EQ(out[static_cast<size_t>(c * ldo + r)], -1.0f);
          }
      }
    }
}


}  // namespace
}  // namespace hearth::kernels::test

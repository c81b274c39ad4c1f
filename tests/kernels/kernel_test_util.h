#pragma once
// Shared helpers for the kernel tests: random data, quantized weight matrices, tolerances.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "gguf/types.h"
#include "kernels/avx512/avx512.h"
#include "kernels/kernels.h"
#include "tensor/quant.h"

namespace hearth::kernels::test {

inline std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Every ISA of this build that this CPU runs, except the scalar reference.
inline std::vector<Isa> simd_isas() {
  std::vector<Isa> out;
  for (Isa isa : supported_isas(detect_cpu_features()))
    if (isa != Isa::Scalar) out.push_back(isa);
  return out;
}

inline const std::vector<GgmlType>& weight_types() {
  static const std::vector<GgmlType> types = {
      GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1,
      GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K,
      GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS};
  return types;
}

inline int64_t block_size(GgmlType t) { return type_info(t).block_size; }

// Row lengths to test for a type: block multiples including an odd block count.
inline std::vector<int64_t> test_lengths(GgmlType t) {
  if (block_size(t) == 256) return {256, 512, 4352};
  if (block_size(t) == 32) return {32, 96, 256, 4352};
  return {16, 100, 256, 4352};
}

// A rows x k weight matrix quantized with the reference quantizer.
struct QMatrix {
  GgmlType type;
  int64_t rows, k;
  size_t stride;
  std::vector<uint8_t> data;
  std::vector<float> deq;  // dequantized values, for error bounds
  QMatrix(GgmlType t, int64_t r, int64_t kk, uint32_t seed) : type(t), rows(r), k(kk), stride(row_size(t, kk)) {
    const auto f = random_floats(static_cast<size_t>(r * kk), seed);
    data.resize(stride * static_cast<size_t>(r));
    deq.resize(f.size());
    for (int64_t i = 0; i < r; ++i) {
      tensor::quantize_row(t, f.data() + i * kk, data.data() + i * stride, kk);
      tensor::dequantize_row(t, data.data() + i * stride, deq.data() + i * kk, kk);
    }
  }
  const uint8_t* row(int64_t i) const { return data.data() + i * stride; }
  Matrix matrix() const { return {type, data.data(), k, rows, stride}; }
};

// Activation row converted with the scalar reference, plus its dequantized values.
struct Act {
  std::vector<uint8_t> bytes;
  std::vector<float> deq;
  Act(GgmlType weight_type, const float* x, int64_t k) {
    const TypeKernels& tk = kernel_table(Isa::Scalar).types[static_cast<size_t>(weight_type)];
    if (tk.act_type == GgmlType::F32) {
      bytes.resize(static_cast<size_t>(k) * 4);
      std::memcpy(bytes.data(), x, bytes.size());
    } else {
      bytes.resize(row_size(tk.act_type, k));
      tk.convert_act(x, bytes.data(), k);
    }
    deq.resize(static_cast<size_t>(k));
    tensor::dequantize_row(tk.act_type, bytes.data(), deq.data(), k);
  }
};

// Tolerance for a dot product: relative to the sum of |terms|.
inline double dot_tolerance(const float* w, const float* a, int64_t k, double rel = 1e-5) {
  double s = 0.0;
  for (int64_t i = 0; i < k; ++i) s += std::fabs(static_cast<double>(w[i]) * a[i]);
  return rel * s + 1e-30;
}

// The AVX512_BF16 prompt tile for F16 weights rounds both operands to bf16 (a deliberate
// speed/precision trade, see src/kernels/avx512/gemm_f16_bf16.cpp): its results are checked
// against the F16 reference with a bf16-level bound instead of the fp32 summation bound.
using GemmFn = decltype(TypeKernels::gemm);
inline bool rounds_to_bf16(GemmFn gemm) { return gemm == avx512::gemm_f16_bf16(); }
// Relative tolerance (of sum |terms|) for a gemm tile result: each bf16 rounding of an F16
// value is within 2^-9 relative, so a product is within ~2^-8, plus fp32 accumulation.
inline double gemm_rel_tolerance(GemmFn gemm, int64_t k) {
  return rounds_to_bf16(gemm) ? std::ldexp(1.0, -8) * 1.01 + static_cast<double>(k) * 6e-8 : 1e-5;
}

}  // namespace hearth::kernels::test

#pragma once
// AVX2 + FMA + F16C kernel entry points, registered by table_avx2.cpp.
//
// Exactness contract (tested in tests/kernels/test_avx2.cpp):
//  * activation converters are byte-identical to the scalar reference quantizers;
//  * integer weight types (Q4_0..Q8_0, IQ4_NL, Q2_K..Q6_K) compute the same per-block integer
//    sums as the scalar reference and combine them in float in the same order, one IEEE
//    operation at a time (these files build with -ffp-contract=off), so vec_dot and gemm
//    return exactly the scalar reference's float;
//  * float weight types (F32/F16/BF16) accumulate in fp32 lanes instead of the reference's
//    double: products are exact, the sum differs by at most ~n/8 * 2^-24 * sum|terms|.
#include <cstddef>
#include <cstdint>

namespace hearth::kernels::avx2 {

// Activation converters (act_avx2.cpp).
void convert_q8_0(const float* x, void* dst, int64_t n);
void convert_q8_1(const float* x, void* dst, int64_t n);
void convert_q8_k(const float* x, void* dst, int64_t n);
void convert_f16(const float* x, void* dst, int64_t n);
void convert_bf16(const float* x, void* dst, int64_t n);

using VecDot = void (*)(int64_t n, float* out, const void* w, const void* a);
using Gemm = void (*)(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride,
                      float* out, int64_t ldo);

struct TypeEntry {
  VecDot vec_dot;
  Gemm gemm;
  int gemm_rows;
  int gemm_cols;
};

// Legacy 32-element blocks against Q8_0 / Q8_1 (dot_legacy.cpp).
TypeEntry q4_0();
TypeEntry q5_0();
TypeEntry q8_0();
TypeEntry iq4_nl();
TypeEntry q4_1();
TypeEntry q5_1();
// K-quants against Q8_K (dot_kquants.cpp).
TypeEntry q2_k();
TypeEntry q3_k();
TypeEntry q4_k();
TypeEntry q5_k();
TypeEntry q6_k();
// Float types (dot_float.cpp).
TypeEntry f32();
TypeEntry f16();
TypeEntry bf16();

// Element-wise ops (ops_avx2.cpp).
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void silu_mul(const float* g, const float* u, float* y, int64_t n);
void add(float* x, const float* y, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);
void axpy(float a, const float* x, float* y, int64_t n);
float dot_f32_f16(const float* a, const uint16_t* b, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);

}  // namespace hearth::kernels::avx2

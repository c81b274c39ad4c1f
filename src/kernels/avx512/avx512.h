#pragma once
// AVX-512 (F/BW/VL/DQ/VNNI, optionally BF16) kernel entry points, registered by table_avx512.cpp.
#include <cstddef>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/kernels.h"

namespace hearth::kernels::avx512 {

// Attention over an F16 cache, llama.cpp flash-attention numerics (attention_avx512.cpp).
void attend_f16(const AttnF16Job& job);

// Activation converters, byte-identical to the scalar reference quantizers (act_avx512.cpp).
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

// K-quants against Q8_K (dot_kquants.cpp).
TypeEntry q2_k();
TypeEntry q3_k();
TypeEntry q4_k();
TypeEntry q5_k();
TypeEntry q6_k();
// Matrix-vector row dots for the two types of a Q4_K_M model (vecdot_k46.cpp).
void vec_dot_q4_k(int64_t n, float* out, const void* w, const void* act);
void vec_dot_q6_k(int64_t n, float* out, const void* w, const void* act);
// Legacy 32-element blocks against Q8_0 / Q8_1 (dot_legacy.cpp).
TypeEntry q4_0();
TypeEntry q5_0();
TypeEntry q8_0();
TypeEntry iq4_nl();
TypeEntry q4_1();
TypeEntry q5_1();
// Row-interleaved VNNI prompt tiles for the signed legacy types (gemm_legacy.cpp); 64 rows.
Gemm gemm_q4_0();
Gemm gemm_q5_0();
Gemm gemm_q8_0();
Gemm gemm_iq4_nl();
// Row-interleaved VNNI prompt tiles for Q4_K / Q6_K (gemm_kquants.cpp); 64 rows.
Gemm gemm_q4_k();
Gemm gemm_q6_k();
// Q4_0 / Q8_0 in the packed Q4_0x16 / Q8_0x16 layouts (packed_legacy.cpp): fill tk's packed entries.
void set_packed_q4_0_avx512(TypeKernels& tk);
void set_packed_q8_0_avx512(TypeKernels& tk);
// Q4_K in the packed Q4_Kx16 layout (packed_q4_k.cpp).
void set_packed_q4_k_avx512(TypeKernels& tk);
// Float types (dot_float.cpp); bf16 uses vdpbf16ps and needs AVX512_BF16.
TypeEntry f32();
TypeEntry f16();
TypeEntry bf16();
// F16 weights x F16 activations rounded to bf16, vdpbf16ps prompt tile (gemm_f16_bf16.cpp);
// needs AVX512_BF16. Rows and tokens per call: any (kF16Bf16Rows / kF16Bf16Cols are the
// sizes the table registers).
Gemm gemm_f16_bf16();
inline constexpr int kF16Bf16Rows = 128;
inline constexpr int kF16Bf16Cols = 96;

// Element-wise ops (ops_avx512.cpp).
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void silu_mul(const float* g, const float* u, float* y, int64_t n);
void add(float* x, const float* y, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);
void axpy(float a, const float* x, float* y, int64_t n);
float dot_f32_f16(const float* a, const uint16_t* b, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);

}  // namespace hearth::kernels::avx512

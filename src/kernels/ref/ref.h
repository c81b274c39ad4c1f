#pragma once
// Scalar reference kernels: straightforward code that defines the expected results.
#include <cstddef>
#include <cstdint>

#include "kernels/attention.h"
#include "tensor/fp16.h"

namespace hearth::kernels::ref {

// ---- element-wise ops (ops_ref.cpp) ----
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void silu_mul(const float* g, const float* u, float* y, int64_t n);
void add(float* x, const float* y, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);
void axpy(float a, const float* x, float* y, int64_t n);
float dot_f32_f16(const float* a, const uint16_t* b, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);

// ---- attention over an F16 cache with llama.cpp's flash-attention numerics (attention_ref.cpp) ----
void attend_f16(const AttnF16Job& job);
// The polynomial exp of ggml's SIMD softmax (max error ~1.5 ULP), lane for lane.
float ggml_simd_expf(float x);

// ---- activation conversion (act_ref.cpp): n floats -> the vec_dot type ----
void convert_q8_0(const float* x, void* dst, int64_t n);
void convert_q8_1(const float* x, void* dst, int64_t n);
void convert_q8_k(const float* x, void* dst, int64_t n);
void convert_f16(const float* x, void* dst, int64_t n);
void convert_bf16(const float* x, void* dst, int64_t n);

// ---- dot products (dot_ref.cpp): *out = dot(weight row, converted activation row) ----
// Per-block integer sums combined in float, as spec §5 defines them.
void vec_dot_f32(int64_t n, float* out, const void* w, const void* a);
void vec_dot_f16(int64_t n, float* out, const void* w, const void* a);
void vec_dot_bf16(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q4_0(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q4_1(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q5_0(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q5_1(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q8_0(int64_t n, float* out, const void* w, const void* a);
void vec_dot_iq4_nl(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q2_k(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q3_k(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q4_k(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q5_k(int64_t n, float* out, const void* w, const void* a);
void vec_dot_q6_k(int64_t n, float* out, const void* w, const void* a);
void vec_dot_iq4_xs(int64_t n, float* out, const void* w, const void* a);

// ---- packed layouts (packed_ref.cpp, formats in kernels/packed.h) ----
void packed_gemv_q4_0x16(int64_t n, int64_t n_groups, const uint8_t* w, std::size_t group_stride, const void* act,
                         float* out);
void packed_gemv_q8_0x16(int64_t n, int64_t n_groups, const uint8_t* w, std::size_t group_stride, const void* act,
                         float* out);
void packed_gemv_q4_kx16(int64_t n, int64_t n_groups, const uint8_t* w, std::size_t group_stride, const void* act,
                         float* out);

}  // namespace hearth::kernels::ref

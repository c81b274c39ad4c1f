#pragma once
// Row-level conversion between float32 and every GGUF tensor type: the scalar reference
// (the oracle for kernels/ and the byte-exact match for llama.cpp's reference quantizers).
// A "row" here is any run of n elements with n a multiple of the type's block size.
#include <cstdint>

#include "gguf/types.h"
#include "tensor/blocks.h"

namespace hearth::tensor {

// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K..Q8_K, IQ4_NL, IQ4_XS.
bool can_dequantize(GgmlType t);
bool can_quantize(GgmlType t);

// dst[0..n) = float value of the n elements at src.
void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n);
// Reference quantization of n floats into dst (row_size(t, n) bytes), byte-identical to
// llama.cpp's reference quantizer without importance matrix. F32/F16/BF16 are plain
// conversions; IQ4_NL uses the file quantizer (llama.cpp's quantize_iq4_nl, 7 trial
// scales), not its cheaper generic from_float.
void quantize_row(GgmlType t, const float* src, void* dst, int64_t n);

// ---- activation formats (spec §5) ------------------------------------------------------

// The format a weight type's dot products quantize activations to: Q8_0 for Q4_0, Q5_0,
// Q8_0, IQ4_NL; Q8_1 for Q4_1, Q5_1; Q8_K for the K-quants and IQ4_XS; the type itself for
// F32/F16/BF16. Throws for other types.
GgmlType vec_dot_type(GgmlType weight_type);
// Reference quantization of an activation row into Q8_0, Q8_1 or Q8_K (the kernels' oracle;
// SIMD activation quantizers in ggml round differently, see spec §5). Throws for other types.
void quantize_activation_row(GgmlType t, const float* src, void* dst, int64_t n);

// ---- typed reference rows (n = element count, a multiple of the block size) --------------

void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n);
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n);
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n);
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n);
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n);
void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n);
void quantize_row_q2_k(const float* x, BlockQ2_K* y, int64_t n);
void quantize_row_q3_k(const float* x, BlockQ3_K* y, int64_t n);
void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t n);
void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t n);
void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t n);
// Q8_K: an all-zero block gets d = 0, qs = 0 and (unlike ggml, which leaves them untouched)
// bsums = 0.
void quantize_row_q8_k(const float* x, BlockQ8_K* y, int64_t n);
void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, int64_t n);
void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, int64_t n);

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n);
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n);
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n);
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n);
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n);
void dequantize_row_q8_1(const BlockQ8_1* x, float* y, int64_t n);
void dequantize_row_q2_k(const BlockQ2_K* x, float* y, int64_t n);
void dequantize_row_q3_k(const BlockQ3_K* x, float* y, int64_t n);
void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t n);
void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t n);
void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t n);
void dequantize_row_q8_k(const BlockQ8_K* x, float* y, int64_t n);
void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, int64_t n);
void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, int64_t n);

}  // namespace hearth::tensor

#pragma once
// Row-level conversion between float32 and every GGUF tensor type: the scalar reference
// (the oracle for kernels/ and the byte-exact match for llama.cpp's reference quantizers).
// A "row" here is any run of n elements with n a multiple of the type's block size.
#include <cstdint>

#include "gguf/types.h"

namespace hearth::tensor {

bool can_dequantize(GgmlType t);
bool can_quantize(GgmlType t);

// dst[0..n) = float value of the n elements at src.
void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n);
// Reference quantization of n floats into dst (row_size(t, n) bytes), byte-identical to
// llama.cpp's reference quantizer without importance matrix.
void quantize_row(GgmlType t, const float* src, void* dst, int64_t n);

}  // namespace hearth::tensor

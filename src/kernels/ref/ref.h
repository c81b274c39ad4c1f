#pragma once
// Scalar reference kernels: straightforward code that defines the expected results.
#include <cstdint>

#include "tensor/fp16.h"

namespace hearth::kernels::ref {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void silu_mul(const float* g, const float* u, float* y, int64_t n);
void add(float* x, const float* y, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);
void axpy(float a, const float* x, float* y, int64_t n);
float dot_f32_f16(const float* a, const uint16_t* b, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);

}  // namespace hearth::kernels::ref

// Scalar activation converters: the reference quantizers of tensor/ (spec §4.6, §4.7, §4.15)
// and plain half-precision conversion (round to nearest even).
#include "kernels/ref/ref.h"
#include "tensor/quant.h"

namespace hearth::kernels::ref {

void convert_q8_0(const float* x, void* dst, int64_t n) {
  tensor::quantize_row_q8_0(x, static_cast<tensor::BlockQ8_0*>(dst), n);
}
void convert_q8_1(const float* x, void* dst, int64_t n) {
  tensor::quantize_row_q8_1(x, static_cast<tensor::BlockQ8_1*>(dst), n);
}
void convert_q8_k(const float* x, void* dst, int64_t n) {
  tensor::quantize_row_q8_k(x, static_cast<tensor::BlockQ8_K*>(dst), n);
}
void convert_f16(const float* x, void* dst, int64_t n) { fp32_to_fp16_row(x, static_cast<fp16_t*>(dst), n); }
void convert_bf16(const float* x, void* dst, int64_t n) { fp32_to_bf16_row(x, static_cast<bf16_t*>(dst), n); }

}  // namespace hearth::kernels::ref

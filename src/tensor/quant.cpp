// Dispatch from GgmlType to the typed reference rows, plus the plain float formats.
#include "tensor/quant.h"

#include <cstring>

#include "core/error.h"

namespace hearth::tensor {
namespace {

template <typename Block>
const Block* as(const void* p) {
  return static_cast<const Block*>(p);
}
template <typename Block>
Block* as(void* p) {
  return static_cast<Block*>(p);
}

}  // namespace

bool can_dequantize(GgmlType t) {
  switch (t) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16:
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1:
    case GgmlType::Q8_0: case GgmlType::Q8_1:
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K:
    case GgmlType::Q6_K: case GgmlType::Q8_K:
    case GgmlType::IQ4_NL: case GgmlType::IQ4_XS:
      return true;
    default:
      return false;
  }
}

bool can_quantize(GgmlType t) { return can_dequantize(t); }

void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) {
  switch (t) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case GgmlType::F16: fp16_to_fp32_row(as<fp16_t>(src), dst, n); return;
    case GgmlType::BF16: bf16_to_fp32_row(as<bf16_t>(src), dst, n); return;
    case GgmlType::Q4_0: dequantize_row_q4_0(as<BlockQ4_0>(src), dst, n); return;
    case GgmlType::Q4_1: dequantize_row_q4_1(as<BlockQ4_1>(src), dst, n); return;
    case GgmlType::Q5_0: dequantize_row_q5_0(as<BlockQ5_0>(src), dst, n); return;
    case GgmlType::Q5_1: dequantize_row_q5_1(as<BlockQ5_1>(src), dst, n); return;
    case GgmlType::Q8_0: dequantize_row_q8_0(as<BlockQ8_0>(src), dst, n); return;
    case GgmlType::Q8_1: dequantize_row_q8_1(as<BlockQ8_1>(src), dst, n); return;
    case GgmlType::Q2_K: dequantize_row_q2_k(as<BlockQ2_K>(src), dst, n); return;
    case GgmlType::Q3_K: dequantize_row_q3_k(as<BlockQ3_K>(src), dst, n); return;
    case GgmlType::Q4_K: dequantize_row_q4_k(as<BlockQ4_K>(src), dst, n); return;
    case GgmlType::Q5_K: dequantize_row_q5_k(as<BlockQ5_K>(src), dst, n); return;
    case GgmlType::Q6_K: dequantize_row_q6_k(as<BlockQ6_K>(src), dst, n); return;
    case GgmlType::Q8_K: dequantize_row_q8_k(as<BlockQ8_K>(src), dst, n); return;
    case GgmlType::IQ4_NL: dequantize_row_iq4_nl(as<BlockIQ4_NL>(src), dst, n); return;
    case GgmlType::IQ4_XS: dequantize_row_iq4_xs(as<BlockIQ4_XS>(src), dst, n); return;
    default: break;
  }
  HEARTH_CHECK(false, "dequantize_row: type {} is not supported", type_name(t));
}

void quantize_row(GgmlType t, const float* src, void* dst, int64_t n) {
  switch (t) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case GgmlType::F16: fp32_to_fp16_row(src, as<fp16_t>(dst), n); return;
    case GgmlType::BF16: fp32_to_bf16_row(src, as<bf16_t>(dst), n); return;
    case GgmlType::Q4_0: quantize_row_q4_0(src, as<BlockQ4_0>(dst), n); return;
    case GgmlType::Q4_1: quantize_row_q4_1(src, as<BlockQ4_1>(dst), n); return;
    case GgmlType::Q5_0: quantize_row_q5_0(src, as<BlockQ5_0>(dst), n); return;
    case GgmlType::Q5_1: quantize_row_q5_1(src, as<BlockQ5_1>(dst), n); return;
    case GgmlType::Q8_0: quantize_row_q8_0(src, as<BlockQ8_0>(dst), n); return;
    case GgmlType::Q8_1: quantize_row_q8_1(src, as<BlockQ8_1>(dst), n); return;
    case GgmlType::Q2_K: quantize_row_q2_k(src, as<BlockQ2_K>(dst), n); return;
    case GgmlType::Q3_K: quantize_row_q3_k(src, as<BlockQ3_K>(dst), n); return;
    case GgmlType::Q4_K: quantize_row_q4_k(src, as<BlockQ4_K>(dst), n); return;
    case GgmlType::Q5_K: quantize_row_q5_k(src, as<BlockQ5_K>(dst), n); return;
    case GgmlType::Q6_K: quantize_row_q6_k(src, as<BlockQ6_K>(dst), n); return;
    case GgmlType::Q8_K: quantize_row_q8_k(src, as<BlockQ8_K>(dst), n); return;
    case GgmlType::IQ4_NL: quantize_row_iq4_nl(src, as<BlockIQ4_NL>(dst), n); return;
    case GgmlType::IQ4_XS: quantize_row_iq4_xs(src, as<BlockIQ4_XS>(dst), n); return;
    default: break;
  }
  HEARTH_CHECK(false, "quantize_row: type {} is not supported", type_name(t));
}

GgmlType vec_dot_type(GgmlType w) {
  switch (w) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16:
      return w;
    case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::IQ4_NL:
    case GgmlType::MXFP4: case GgmlType::NVFP4: case GgmlType::Q1_0: case GgmlType::Q2_0:
      return GgmlType::Q8_0;
    case GgmlType::Q4_1: case GgmlType::Q5_1:
      return GgmlType::Q8_1;
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K:
    case GgmlType::Q6_K: case GgmlType::IQ4_XS:
    case GgmlType::IQ2_XXS: case GgmlType::IQ2_XS: case GgmlType::IQ2_S: case GgmlType::IQ3_XXS:
    case GgmlType::IQ3_S: case GgmlType::IQ1_S: case GgmlType::IQ1_M:
    case GgmlType::TQ1_0: case GgmlType::TQ2_0:
      return GgmlType::Q8_K;
    default:
      fail("vec_dot_type: no activation format for weight type {}", type_name(w));
  }
}

void quantize_activation_row(GgmlType t, const float* src, void* dst, int64_t n) {
  switch (t) {
    case GgmlType::Q8_0: quantize_row_q8_0(src, as<BlockQ8_0>(dst), n); return;
    case GgmlType::Q8_1: quantize_row_q8_1(src, as<BlockQ8_1>(dst), n); return;
    case GgmlType::Q8_K: quantize_row_q8_k(src, as<BlockQ8_K>(dst), n); return;
    default: fail("quantize_activation_row: {} is not an activation format (Q8_0, Q8_1, Q8_K)", type_name(t));
  }
}

}  // namespace hearth::tensor

// Legacy 32-element formats (spec §4.2-§4.7): Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
// Reference (no importance matrix) quantizers and dequantizers.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "tensor/quant.h"
#include "tensor/quant_search.h"

namespace hearth::tensor {
namespace {

using detail::argmaxabs;
using detail::n_blocks;
using detail::trunc_to_i8;
using detail::trunc_to_u8;

uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
void store_u32(uint8_t* p, uint32_t v) {
  for (int k = 0; k < 4; ++k) p[k] = static_cast<uint8_t>(v >> (8 * k));
}

struct MinMax {
  float min = FLT_MAX;
  float max = -FLT_MAX;
};
MinMax min_max(const float* x, int n) {
  MinMax r;
  for (int j = 0; j < n; ++j) {
    if (x[j] < r.min) r.min = x[j];
    if (x[j] > r.max) r.max = x[j];
  }
  return r;
}

// Packs 32 five-bit codes: low nibbles as Q4_0, bit 4 of code e into bit e of qh.
// Only bit 4 is kept (masks as in the reference: a code of 32 would wrap to 0).
void pack5(const uint8_t* q, uint8_t* qs, uint8_t* qh) {
  uint32_t h = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
    h |= ((q[j] & 0x10u) >> 4) << j;
    h |= ((q[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  store_u32(qh, h);
}

// 5-bit code of element j of a Q5 block.
int code5(const uint8_t* qs, uint32_t qh, int j) {
  const int lo = j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4);
  return lo | static_cast<int>(((qh >> j) & 1u) << 4);
}

}  // namespace

void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_0, "Q4_0");
  for (int64_t i = 0; i < nb; ++i, x += kQK4_0) {
    const float d = argmaxabs(x, kQK4_0).mx / -8.0f;  // +0/-8 = -0: an all-zero block stores 0x8000
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(trunc_to_i8(x[j] * id + 8.5f)));
      const int q1 = std::min(15, static_cast<int>(trunc_to_i8(x[j + 16] * id + 8.5f)));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_1, "Q4_1");
  for (int64_t i = 0; i < nb; ++i, x += kQK4_1) {
    const MinMax mm = min_max(x, kQK4_1);
    const float d = (mm.max - mm.min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(mm.min);
    for (int j = 0; j < kQK4_1 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(trunc_to_i8((x[j] - mm.min) * id + 0.5f)));
      const int q1 = std::min(15, static_cast<int>(trunc_to_i8((x[j + 16] - mm.min) * id + 0.5f)));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK5_0, "Q5_0");
  for (int64_t i = 0; i < nb; ++i, x += kQK5_0) {
    const float d = argmaxabs(x, kQK5_0).mx / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    uint8_t q[kQK5_0];
    for (int j = 0; j < kQK5_0; ++j)
      q[j] = static_cast<uint8_t>(std::min(31, static_cast<int>(trunc_to_i8(x[j] * id + 16.5f))));
    pack5(q, y[i].qs, y[i].qh);
  }
}

void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK5_1, "Q5_1");
  for (int64_t i = 0; i < nb; ++i, x += kQK5_1) {
    const MinMax mm = min_max(x, kQK5_1);
    const float d = (mm.max - mm.min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(mm.min);
    uint8_t q[kQK5_1];
    for (int j = 0; j < kQK5_1; ++j) q[j] = trunc_to_u8((x[j] - mm.min) * id + 0.5f);  // no clamp (spec)
    pack5(q, y[i].qs, y[i].qh);
  }
}

void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK8_0, "Q8_0");
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    const float amax = argmaxabs(x, kQK8_0).amax;
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) y[i].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
  }
}

void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK8_1, "Q8_1");
  for (int64_t i = 0; i < nb; ++i, x += kQK8_1) {
    const float amax = argmaxabs(x, kQK8_1).amax;
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < kQK8_1; ++j) {
      y[i].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
      sum += y[i].qs[j];
    }
    y[i].s = fp32_to_fp16(static_cast<float>(sum) * d);  // unrounded d
  }
}

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_0, "Q4_0");
  for (int64_t i = 0; i < nb; ++i, y += kQK4_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = static_cast<float>((x[i].qs[j] & 0x0F) - 8) * d;
      y[j + 16] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_1, "Q4_1");
  for (int64_t i = 0; i < nb; ++i, y += kQK4_1) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < kQK4_1 / 2; ++j) {
      y[j] = static_cast<float>(x[i].qs[j] & 0x0F) * d + m;
      y[j + 16] = static_cast<float>(x[i].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK5_0, "Q5_0");
  for (int64_t i = 0; i < nb; ++i, y += kQK5_0) {
    const float d = fp16_to_fp32(x[i].d);
    const uint32_t qh = load_u32(x[i].qh);
    for (int j = 0; j < kQK5_0; ++j) y[j] = static_cast<float>(code5(x[i].qs, qh, j) - 16) * d;
  }
}

void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK5_1, "Q5_1");
  for (int64_t i = 0; i < nb; ++i, y += kQK5_1) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    const uint32_t qh = load_u32(x[i].qh);
    for (int j = 0; j < kQK5_1; ++j) y[j] = static_cast<float>(code5(x[i].qs, qh, j)) * d + m;
  }
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK8_0, "Q8_0");
  for (int64_t i = 0; i < nb; ++i, y += kQK8_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

void dequantize_row_q8_1(const BlockQ8_1* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK8_1, "Q8_1");
  for (int64_t i = 0; i < nb; ++i, y += kQK8_1) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK8_1; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

}  // namespace hearth::tensor

// Scalar reference dot products (spec §5): each weight block is decoded to small integers,
// multiplied with the int8 activation block exactly in int32, and the per-block sums are
// combined in float with the block scales. These are the oracle for the SIMD kernels.
#include <cstring>

#include "kernels/ref/ref.h"
#include "tensor/blocks.h"

namespace hearth::kernels::ref {
namespace {

using namespace hearth::tensor;

template <typename B>
const B* blocks(const void* p) {
  return static_cast<const B*>(p);
}

// 4-bit code j (0..31) of a 32-element block with Q4_0 nibble order.
int nibble32(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4); }

int dot_i8(const int* q, const int8_t* a, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += q[i] * a[i];
  return s;
}

// Legacy 32-blocks against Q8_0: codes[j] already have the type's offset removed.
template <typename B, typename Decode>
void dot_q8_0_family(int64_t n, float* out, const void* w, const void* a, Decode decode) {
  const B* x = blocks<B>(w);
  const BlockQ8_0* y = blocks<BlockQ8_0>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int q[32];
    decode(x[b], q);
    sum += static_cast<float>(dot_i8(q, y[b].qs, 32)) * fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d);
  }
  *out = sum;
}

// Q4_1/Q5_1 against Q8_1: dx*dy*sum(q*q8) + m*s.
template <typename B, typename Decode>
void dot_q8_1_family(int64_t n, float* out, const void* w, const void* a, Decode decode) {
  const B* x = blocks<B>(w);
  const BlockQ8_1* y = blocks<BlockQ8_1>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int q[32];
    decode(x[b], q);
    const int isum = dot_i8(q, y[b].qs, 32);
    sum += fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d) * static_cast<float>(isum) +
           fp16_to_fp32(x[b].m) * fp16_to_fp32(y[b].s);
  }
  *out = sum;
}

// Element codes of the K-quant bit planes (spec §4.9).
int code_2bit(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3; }
int code_4bit_k(const uint8_t* qs, int e) {
  const uint8_t b = qs[32 * (e / 64) + e % 32];
  return (e % 64) < 32 ? (b & 0x0F) : (b >> 4);
}
int high_bit(const uint8_t* plane, int e) { return (plane[e % 32] >> (e / 32)) & 1; }

}  // namespace

void vec_dot_f32(int64_t n, float* out, const void* w, const void* a) {
  *out = dot_f32(static_cast<const float*>(w), static_cast<const float*>(a), n);
}

void vec_dot_f16(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = static_cast<const fp16_t*>(w);
  const auto* y = static_cast<const fp16_t*>(a);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(fp16_to_fp32(x[i])) * fp16_to_fp32(y[i]);
  *out = static_cast<float>(s);
}

void vec_dot_bf16(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = static_cast<const bf16_t*>(w);
  const auto* y = static_cast<const bf16_t*>(a);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(bf16_to_fp32(x[i])) * bf16_to_fp32(y[i]);
  *out = static_cast<float>(s);
}

void vec_dot_q4_0(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_0_family<BlockQ4_0>(n, out, w, a, [](const BlockQ4_0& b, int* q) {
    for (int j = 0; j < 32; ++j) q[j] = nibble32(b.qs, j) - 8;
  });
}

void vec_dot_q5_0(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_0_family<BlockQ5_0>(n, out, w, a, [](const BlockQ5_0& b, int* q) {
    const uint32_t qh = load_u32(b.qh);
    for (int j = 0; j < 32; ++j) q[j] = (nibble32(b.qs, j) | static_cast<int>(((qh >> j) & 1) << 4)) - 16;
  });
}

void vec_dot_q8_0(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_0_family<BlockQ8_0>(n, out, w, a, [](const BlockQ8_0& b, int* q) {
    for (int j = 0; j < 32; ++j) q[j] = b.qs[j];
  });
}

void vec_dot_iq4_nl(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_0_family<BlockIQ4_NL>(n, out, w, a, [](const BlockIQ4_NL& b, int* q) {
    for (int j = 0; j < 32; ++j) q[j] = kValuesIq4nl[nibble32(b.qs, j)];
  });
}

void vec_dot_q4_1(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_1_family<BlockQ4_1>(n, out, w, a, [](const BlockQ4_1& b, int* q) {
    for (int j = 0; j < 32; ++j) q[j] = nibble32(b.qs, j);
  });
}

void vec_dot_q5_1(int64_t n, float* out, const void* w, const void* a) {
  dot_q8_1_family<BlockQ5_1>(n, out, w, a, [](const BlockQ5_1& b, int* q) {
    const uint32_t qh = load_u32(b.qh);
    for (int j = 0; j < 32; ++j) q[j] = nibble32(b.qs, j) | static_cast<int>(((qh >> j) & 1) << 4);
  });
}

void vec_dot_q2_k(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = blocks<BlockQ2_K>(w);
  const auto* y = blocks<BlockQ8_K>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int isum = 0, summs = 0;
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int i = 16 * j; i < 16 * j + 16; ++i) s += code_2bit(x[b].qs, i) * y[b].qs[i];
      isum += (x[b].scales[j] & 15) * s;
      summs += (x[b].scales[j] >> 4) * y[b].bsums[j];
    }
    const float dy = y[b].d;
    sum += dy * fp16_to_fp32(x[b].d) * static_cast<float>(isum) - dy * fp16_to_fp32(x[b].dmin) * static_cast<float>(summs);
  }
  *out = sum;
}

void vec_dot_q3_k(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = blocks<BlockQ3_K>(w);
  const auto* y = blocks<BlockQ8_K>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int i = 16 * j; i < 16 * j + 16; ++i)
        s += (code_2bit(x[b].qs, i) + 4 * high_bit(x[b].hmask, i) - 4) * y[b].qs[i];
      isum += (unpack_scale_q3_k(j, x[b].scales) - 32) * s;
    }
    sum += fp16_to_fp32(x[b].d) * y[b].d * static_cast<float>(isum);
  }
  *out = sum;
}

namespace {
template <typename B, bool kFifthBit>
void dot_q45_k(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = blocks<B>(w);
  const auto* y = blocks<BlockQ8_K>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int isum = 0, summs = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      unpack_scale_min_k4(j, x[b].scales, &sc, &m);
      int s = 0;
      for (int i = 32 * j; i < 32 * j + 32; ++i) {
        int q = code_4bit_k(x[b].qs, i);
        if constexpr (kFifthBit) q += 16 * high_bit(x[b].qh, i);
        s += q * y[b].qs[i];
      }
      isum += sc * s;
      summs += m * (y[b].bsums[2 * j] + y[b].bsums[2 * j + 1]);
    }
    const float dy = y[b].d;
    sum += fp16_to_fp32(x[b].d) * dy * static_cast<float>(isum) - fp16_to_fp32(x[b].dmin) * dy * static_cast<float>(summs);
  }
  *out = sum;
}
}  // namespace

void vec_dot_q4_k(int64_t n, float* out, const void* w, const void* a) { dot_q45_k<BlockQ4_K, false>(n, out, w, a); }
void vec_dot_q5_k(int64_t n, float* out, const void* w, const void* a) { dot_q45_k<BlockQ5_K, true>(n, out, w, a); }

void vec_dot_q6_k(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = blocks<BlockQ6_K>(w);
  const auto* y = blocks<BlockQ8_K>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int e = 16 * j; e < 16 * j + 16; ++e) {
        const int h = e / 128, g = (e % 128) / 32, l = e % 32;
        const uint8_t lb = x[b].ql[64 * h + 32 * (g & 1) + l];
        const int lo = g < 2 ? (lb & 0x0F) : (lb >> 4);
        const int hi = (x[b].qh[32 * h + l] >> (2 * g)) & 3;
        s += ((lo | (hi << 4)) - 32) * y[b].qs[e];
      }
      isum += x[b].scales[j] * s;
    }
    sum += fp16_to_fp32(x[b].d) * y[b].d * static_cast<float>(isum);
  }
  *out = sum;
}

void vec_dot_iq4_xs(int64_t n, float* out, const void* w, const void* a) {
  const auto* x = blocks<BlockIQ4_XS>(w);
  const auto* y = blocks<BlockQ8_K>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int isum = 0;
    for (int ib = 0; ib < 8; ++ib) {
      int s = 0;
      for (int j = 0; j < 32; ++j) s += kValuesIq4nl[nibble32(x[b].qs + 16 * ib, j)] * y[b].qs[32 * ib + j];
      isum += (unpack_scale_iq4_xs(ib, x[b]) - 32) * s;
    }
    sum += fp16_to_fp32(x[b].d) * y[b].d * static_cast<float>(isum);
  }
  *out = sum;
}

}  // namespace hearth::kernels::ref

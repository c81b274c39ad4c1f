// K-quants (spec §4.9-§4.15): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K on 256-element super-blocks,
// and the Q8_K activation format. Reference (no importance matrix) quantizers.
//
// Common shape of the K quantizers: search a float scale (and min) per sub-block, quantize
// those to small integers against one fp16 super-scale, then re-quantize the elements
// against the *rounded* scales. A sub-block whose rounded scale is exactly 0 keeps the codes
// of its initial search (they are part of the bytes even though they decode to 0).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant.h"
#include "tensor/quant_search.h"

namespace hearth::tensor {
namespace {

using detail::AffineParams;
using detail::argmaxabs;
using detail::n_blocks;
using detail::nearest_int;

// 2-bit plane (§4.9): element e -> byte 32*(e/128) + e%32, bits 2*((e%128)/32).
void pack_2bit_plane(const uint8_t* L, uint8_t* qs) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const uint8_t* q = L + 128 * h + l;
      qs[32 * h + l] = static_cast<uint8_t>(q[0] | (q[32] << 2) | (q[64] << 4) | (q[96] << 6));
    }
}
int code_2bit(const uint8_t* qs, int e) {
  const int h = e / 128, r = e % 128;
  return (qs[32 * h + r % 32] >> (2 * (r / 32))) & 3;
}

// 4-bit packing of Q4_K/Q5_K (§4.9): element e -> byte 32*(e/64) + e%32, high nibble if e%64 >= 32.
void pack_4bit_k(const uint8_t* L, uint8_t* qs) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<uint8_t>((L[64 * c + l] & 0x0F) | ((L[64 * c + 32 + l] & 0x0F) << 4));
}
int code_4bit_k(const uint8_t* qs, int e) {
  const uint8_t b = qs[32 * (e / 64) + e % 32];
  return (e % 64) < 32 ? (b & 0x0F) : (b >> 4);
}

// High-bit plane (§4.9): element e -> byte e%32, bit e/32.
bool high_bit(const uint8_t* plane, int e) { return (plane[e % 32] >> (e / 32)) & 1; }

// 6-bit (scale, min) packing of Q4_K/Q5_K (§4.9).
void pack_scale_min_k4(const uint8_t* ls, const uint8_t* lm, uint8_t* S) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      S[j] = ls[j];
      S[j + 4] = lm[j];
    } else {
      S[j + 4] = static_cast<uint8_t>((ls[j] & 0x0F) | ((lm[j] & 0x0F) << 4));
      S[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      S[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// Shared tail of Q4_K/Q5_K: per-sub-block AFFINE_SEARCH with weights av + |x|, 6-bit scales
// and mins, re-quantization to [0, nmax]. Fills d, dmin, scales and the codes L[256].
void quantize_k_affine(const float* x, int nmax, const AffineParams& params, fp16_t* d, fp16_t* dmin,
                       uint8_t* S, uint8_t* L) {
  float scales[8], mins[8], weights[32];
  uint8_t Laux[32];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = detail::affine_search(32, nmax, xs, weights, L + 32 * j, &mins[j], Laux, params);
  }
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    // Conversion to uint8 (modulo 256) happens before the clamp, as in the reference.
    ls[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    lm[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
  }
  pack_scale_min_k4(ls, lm, S);
  *d = fp32_to_fp16(max_scale / 63.0f);
  *dmin = fp32_to_fp16(max_min / 63.0f);

  const float D = fp16_to_fp32(*d), M = fp16_to_fp32(*dmin);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    unpack_scale_min_k4(j, S, &sc, &m);
    const float dl = D * static_cast<float>(sc);
    if (dl == 0.0f) continue;
    const float ml = M * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + ii] + ml) / dl), 0, nmax));
  }
}

}  // namespace

// ---- Q2_K -----------------------------------------------------------------------------------

void quantize_row_q2_k(const float* x, BlockQ2_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q2_K");
  const AffineParams params{-0.5f, 0.1f, 15, true};
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    uint8_t L[kQK_K], Laux[16];
    float weights[16], mins[16], scales[16];
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = detail::affine_search(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, params);
    }
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 16; ++j) {
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    BlockQ2_K& b = y[i];
    if (max_scale > 0.0f) {
      const float iscale = 15.0f / max_scale;
      for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      b.d = fp32_to_fp16(max_scale / 15.0f);
    } else {
      std::memset(b.scales, 0, sizeof b.scales);
      b.d = fp32_to_fp16(0.0f);
    }
    if (max_min > 0.0f) {
      const float iscale = 15.0f / max_min;
      for (int j = 0; j < 16; ++j)
        b.scales[j] = static_cast<uint8_t>(b.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      b.dmin = fp32_to_fp16(max_min / 15.0f);
    } else {
      b.dmin = fp32_to_fp16(0.0f);
    }
    const float D = fp16_to_fp32(b.d), M = fp16_to_fp32(b.dmin);
    for (int j = 0; j < 16; ++j) {
      const float dl = D * static_cast<float>(b.scales[j] & 0x0F);
      if (dl == 0.0f) continue;
      const float ml = M * static_cast<float>(b.scales[j] >> 4);
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + ii] + ml) / dl), 0, 3));
    }
    pack_2bit_plane(L, b.qs);
  }
}

void dequantize_row_q2_k(const BlockQ2_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q2_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int j = 0; j < 16; ++j) {
      const float dl = d * static_cast<float>(x[i].scales[j] & 0x0F);
      const float ml = dmin * static_cast<float>(x[i].scales[j] >> 4);
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * j + l;
        y[e] = dl * static_cast<float>(code_2bit(x[i].qs, e)) - ml;
      }
    }
  }
}

// ---- Q3_K -----------------------------------------------------------------------------------

void quantize_row_q3_k(const float* x, BlockQ3_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q3_K");
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = detail::q3_search(16, 4, x + 16 * j, L + 16 * j);
    const float max_scale = argmaxabs(scales, 16).mx;

    BlockQ3_K& b = y[i];
    std::memset(b.scales, 0, sizeof b.scales);
    if (max_scale != 0.0f) {
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int8_t l8 = static_cast<int8_t>(nearest_int(iscale * scales[j]));  // int8 first, then clamp
        const int u = std::clamp<int>(l8, -32, 31) + 32;
        if (j < 8)
          b.scales[j] = static_cast<uint8_t>(b.scales[j] | (u & 0x0F));
        else
          b.scales[j - 8] = static_cast<uint8_t>(b.scales[j - 8] | ((u & 0x0F) << 4));
        b.scales[8 + j % 4] = static_cast<uint8_t>(b.scales[8 + j % 4] | ((u >> 4) << (2 * (j / 4))));
      }
      b.d = fp32_to_fp16(1.0f / iscale);
    } else {
      b.d = fp32_to_fp16(0.0f);
    }
    const float D = fp16_to_fp32(b.d);
    for (int j = 0; j < 16; ++j) {
      const float dl = D * static_cast<float>(unpack_scale_q3_k(j, b.scales) - 32);
      if (dl == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / dl), -4, 3) + 4);
    }
    std::memset(b.hmask, 0, sizeof b.hmask);
    uint8_t low[kQK_K];
    for (int e = 0; e < kQK_K; ++e) {
      int l = L[e];
      if (l > 3) {
        b.hmask[e % 32] = static_cast<uint8_t>(b.hmask[e % 32] | (1 << (e / 32)));
        l -= 4;
      }
      low[e] = static_cast<uint8_t>(l);
    }
    pack_2bit_plane(low, b.qs);
  }
}

void dequantize_row_q3_k(const BlockQ3_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q3_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < 16; ++j) {
      const float dl = d * static_cast<float>(unpack_scale_q3_k(j, x[i].scales) - 32);
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * j + l;
        const int q = code_2bit(x[i].qs, e) + (high_bit(x[i].hmask, e) ? 4 : 0);
        y[e] = dl * static_cast<float>(q - 4);
      }
    }
  }
}

// ---- Q4_K / Q5_K ------------------------------------------------------------------------

void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q4_K");
  const AffineParams params{-1.0f, 0.1f, 20, false};
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    quantize_k_affine(x, 15, params, &y[i].d, &y[i].dmin, y[i].scales, L);
    pack_4bit_k(L, y[i].qs);
  }
}

void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q5_K");
  const AffineParams params{-0.5f, 0.1f, 15, false};
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    quantize_k_affine(x, 31, params, &y[i].d, &y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int e = 0; e < kQK_K; ++e) {
      if (L[e] > 15) {
        y[i].qh[e % 32] = static_cast<uint8_t>(y[i].qh[e % 32] | (1 << (e / 32)));
        L[e] = static_cast<uint8_t>(L[e] - 16);
      }
    }
    pack_4bit_k(L, y[i].qs);
  }
}

void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q4_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      unpack_scale_min_k4(j, x[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const int e = 32 * j + l;
        y[e] = d1 * static_cast<float>(code_4bit_k(x[i].qs, e)) - m1;
      }
    }
  }
}

void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q5_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      unpack_scale_min_k4(j, x[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const int e = 32 * j + l;
        const int q = code_4bit_k(x[i].qs, e) + (high_bit(x[i].qh, e) ? 16 : 0);
        y[e] = d1 * static_cast<float>(q) - m1;
      }
    }
  }
}

// ---- Q6_K -----------------------------------------------------------------------------------

void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q6_K");
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = detail::sym_search(16, 32, x + 16 * j, L + 16 * j, nullptr);
    const detail::MaxAbs ms = argmaxabs(scales, 16);
    BlockQ6_K& b = y[i];
    if (ms.amax < detail::kGroupMaxEps) {
      std::memset(&b, 0, sizeof b);
      continue;
    }
    const float iscale = -128.0f / ms.mx;
    b.d = fp32_to_fp16(1.0f / iscale);
    for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[j])));
    const float D = fp16_to_fp32(b.d);
    for (int j = 0; j < 16; ++j) {
      const float dl = D * static_cast<float>(b.scales[j]);
      if (dl == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii)
        L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int(x[16 * j + ii] / dl), -32, 31) + 32);
    }
    std::memset(b.ql, 0, sizeof b.ql);
    std::memset(b.qh, 0, sizeof b.qh);
    for (int e = 0; e < kQK_K; ++e) {
      const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
      const int lo = L[e] & 0x0F, hi = L[e] >> 4;
      uint8_t& qlb = b.ql[64 * h + 32 * (g & 1) + l];
      qlb = static_cast<uint8_t>(qlb | (lo << (g < 2 ? 0 : 4)));
      uint8_t& qhb = b.qh[32 * h + l];
      qhb = static_cast<uint8_t>(qhb | (hi << (2 * g)));
    }
  }
}

void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q6_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    for (int e = 0; e < kQK_K; ++e) {
      const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
      const int lo = (x[i].ql[64 * h + 32 * (g & 1) + l] >> (g < 2 ? 0 : 4)) & 0x0F;
      const int hi = (x[i].qh[32 * h + l] >> (2 * g)) & 3;
      y[e] = (d * static_cast<float>(x[i].scales[e / 16])) * static_cast<float>((lo | (hi << 4)) - 32);
    }
  }
}

// ---- Q8_K -----------------------------------------------------------------------------------

void quantize_row_q8_k(const float* x, BlockQ8_K* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q8_K");
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    const detail::MaxAbs ma = argmaxabs(x, kQK_K);
    BlockQ8_K& b = y[i];
    if (ma.amax == 0.0f) {
      std::memset(&b, 0, sizeof b);
      continue;
    }
    const float iscale = -127.0f / ma.mx;
    for (int j = 0; j < kQK_K; ++j) b.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int k = 0; k < kQK_K / 16; ++k) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * k + l];
      b.bsums[k] = static_cast<int16_t>(sum);
    }
    b.d = 1.0f / iscale;
  }
}

void dequantize_row_q8_k(const BlockQ8_K* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "Q8_K");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K)
    for (int j = 0; j < kQK_K; ++j) y[j] = x[i].d * static_cast<float>(x[i].qs[j]);
}

}  // namespace hearth::tensor

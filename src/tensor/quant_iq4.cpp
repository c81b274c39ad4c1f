// Non-linear 4-bit formats (spec §4.16-§4.17): IQ4_NL (32-element blocks) and IQ4_XS
// (256-element super-blocks with 6-bit sub-block scales), codes index kValuesIq4nl.
// These are the quantizers llama-quantize uses for files (7 trial scales), without
// importance matrix: weights are x^2.
#include <algorithm>
#include <cstring>

#include "tensor/quant.h"
#include "tensor/quant_search.h"

namespace hearth::tensor {
namespace {

using detail::n_blocks;
using detail::nearest_int;
using detail::nearest_iq4nl;

constexpr int kNtry = 7;

// IQ4_BLOCK: best scale for one 32-element block under weights w; 0 for a block below EPS.
float iq4_block_scale(const float* x, const float* w) {
  const detail::MaxAbs ma = detail::argmaxabs(x, 32);
  if (ma.amax < detail::kGroupMaxEps) return 0.0f;
  const float k0 = static_cast<float>(kValuesIq4nl[0]);
  float d = -ma.mx / k0;  // ntry > 0
  float id = 1.0f / d;
  float sumqx = 0.0f, sumq2 = 0.0f;
  for (int j = 0; j < 32; ++j) {
    const float q = static_cast<float>(kValuesIq4nl[nearest_iq4nl(id * x[j])]);
    sumqx += w[j] * q * x[j];
    sumq2 += w[j] * q * q;
  }
  d = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
  float best = d * sumqx;
  for (int t = -kNtry; t <= kNtry; ++t) {
    id = (static_cast<float>(t) + k0) / ma.mx;  // explores negative scales too
    float a = 0.0f, c = 0.0f;
    for (int j = 0; j < 32; ++j) {
      const float q = static_cast<float>(kValuesIq4nl[nearest_iq4nl(id * x[j])]);
      a += w[j] * q * x[j];
      c += w[j] * q * q;
    }
    if (c > 0.0f && a * a > best * c) {
      d = a / c;
      best = d * a;
    }
  }
  return d;
}

// 32 codes -> 16 bytes, element j low nibble / j+16 high nibble of byte j.
void pack_nibbles_32(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
}
int nibble_32(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4); }

}  // namespace

void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_NL, "IQ4_NL");
  for (int64_t i = 0; i < nb; ++i, x += kQK4_NL) {
    float w[kQK4_NL];
    for (int j = 0; j < kQK4_NL; ++j) w[j] = x[j] * x[j];
    const float d = iq4_block_scale(x, w);
    y[i].d = fp32_to_fp16(d);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;  // the unrounded d
    uint8_t L[kQK4_NL];
    for (int j = 0; j < kQK4_NL; ++j) L[j] = static_cast<uint8_t>(nearest_iq4nl(id * x[j]));
    pack_nibbles_32(L, y[i].qs);
  }
}

void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "IQ4_XS");
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    float w[kQK_K], scales[8];
    for (int j = 0; j < kQK_K; ++j) w[j] = x[j] * x[j];
    for (int ib = 0; ib < 8; ++ib) scales[ib] = iq4_block_scale(x + 32 * ib, w + 32 * ib);
    const float max_scale = detail::argmaxabs(scales, 8).mx;
    const float d = -max_scale / 32.0f;  // all-zero super-block: -0.0 -> 0x8000
    BlockIQ4_XS& b = y[i];
    b.d = fp32_to_fp16(d);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b.scales_h = 0;
    std::memset(b.scales_l, 0, sizeof b.scales_l);
    for (int ib = 0; ib < 8; ++ib) {
      const int l = std::clamp(nearest_int(id * scales[ib]), -32, 31);
      const float dl = d * static_cast<float>(l);  // unrounded d
      const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
      uint8_t L[32];
      for (int j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(nearest_iq4nl(idl * x[32 * ib + j]));
      pack_nibbles_32(L, b.qs + 16 * ib);
      const int u = l + 32;
      b.scales_l[ib / 2] = static_cast<uint8_t>(b.scales_l[ib / 2] | ((u & 0x0F) << (4 * (ib % 2))));
      b.scales_h = static_cast<uint16_t>(b.scales_h | ((u >> 4) << (2 * ib)));
    }
  }
}

void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK4_NL, "IQ4_NL");
  for (int64_t i = 0; i < nb; ++i, y += kQK4_NL) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK4_NL; ++j) y[j] = d * static_cast<float>(kValuesIq4nl[nibble_32(x[i].qs, j)]);
  }
}

void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, int64_t n) {
  const int64_t nb = n_blocks(n, kQK_K, "IQ4_XS");
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    for (int ib = 0; ib < 8; ++ib) {
      const float dl = d * static_cast<float>(unpack_scale_iq4_xs(ib, x[i]) - 32);
      for (int j = 0; j < 32; ++j)
        y[32 * ib + j] = dl * static_cast<float>(kValuesIq4nl[nibble_32(x[i].qs + 16 * ib, j)]);
    }
  }
}

}  // namespace hearth::tensor

#pragma once
// Byte layouts of the ggml block-quantized types (GGUF spec §4). Field names follow the
// spec (and ggml): d/m/dmin scales, qs codes, qh high bits, scales sub-block scales.
// All multi-byte fields are little-endian; these structs assume a little-endian host.
// fp16 fields hold raw binary16 bits (tensor/fp16.h converts them).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gguf/types.h"
#include "tensor/fp16.h"

namespace hearth::tensor {

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
inline constexpr int kQK4_NL = 32;
inline constexpr int kQK_K = 256;        // K-quant super-block
inline constexpr int kKScaleSize = 12;   // packed 6-bit scales of Q3_K/Q4_K/Q5_K

// ---- legacy 32-element blocks ----------------------------------------------------------

// y = (q - 8) * d; element j (<16) = low nibble of qs[j], element j+16 = high nibble.
struct BlockQ4_0 {
  fp16_t d;
  uint8_t qs[kQK4_0 / 2];
};
// y = q * d + m
struct BlockQ4_1 {
  fp16_t d;
  fp16_t m;
  uint8_t qs[kQK4_1 / 2];
};
// y = (q - 16) * d; q = low4 | (bit e of qh) << 4; qh is a little-endian u32 kept as bytes.
struct BlockQ5_0 {
  fp16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
// y = q * d + m
struct BlockQ5_1 {
  fp16_t d;
  fp16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
// y = q * d
struct BlockQ8_0 {
  fp16_t d;
  int8_t qs[kQK8_0];
};
// Activation format for Q4_1/Q5_1 dot products: s = fp16(d * sum(qs)) with the unrounded d.
struct BlockQ8_1 {
  fp16_t d;
  fp16_t s;
  int8_t qs[kQK8_1];
};

// ---- K-quants: 256-element super-blocks ----------------------------------------------

// y = (d * (scales[j] & 15)) * q - dmin * (scales[j] >> 4), j = e / 16; 2-bit plane qs.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  fp16_t d;
  fp16_t dmin;
};
// q = low2 + 4 * hbit; y = (d * (u_j - 32)) * (q - 4); scales: 16 six-bit u_j (Q3_K packing).
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[kKScaleSize];
  fp16_t d;
};
// y = (d * sc_j) * q - dmin * m_j, j = e / 32; scales: 8 six-bit (sc, m) pairs.
struct BlockQ4_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qs[kQK_K / 2];
};
// As Q4_K with a fifth bit per element in qh (element e -> byte e % 32, bit e / 32).
struct BlockQ5_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
// y = (d * scales[e / 16]) * (q - 32); q = low4 (ql) | high2 (qh) << 4.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  fp16_t d;
};
// Activation format for K-quant dot products (never stored in files): float32 d,
// bsums[k] = sum of qs[16k .. 16k+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// ---- non-linear 4-bit -------------------------------------------------------------------

// y = d * kValuesIq4nl[q]; nibble order as Q4_0.
struct BlockIQ4_NL {
  fp16_t d;
  uint8_t qs[kQK4_NL / 2];
};
// y = (d * (ls - 32)) * kValuesIq4nl[q], ls = scales_l nibble | (scales_h 2 bits) << 4.
struct BlockIQ4_XS {
  fp16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQK_K / 64];
  uint8_t qs[kQK_K / 2];
};

inline constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);

// Maps a GgmlType onto its block struct: BlockOf<GgmlType::Q4_K>::type.
template <GgmlType T> struct BlockOf;
template <> struct BlockOf<GgmlType::Q4_0> { using type = BlockQ4_0; static constexpr int qk = kQK4_0; };
template <> struct BlockOf<GgmlType::Q4_1> { using type = BlockQ4_1; static constexpr int qk = kQK4_1; };
template <> struct BlockOf<GgmlType::Q5_0> { using type = BlockQ5_0; static constexpr int qk = kQK5_0; };
template <> struct BlockOf<GgmlType::Q5_1> { using type = BlockQ5_1; static constexpr int qk = kQK5_1; };
template <> struct BlockOf<GgmlType::Q8_0> { using type = BlockQ8_0; static constexpr int qk = kQK8_0; };
template <> struct BlockOf<GgmlType::Q8_1> { using type = BlockQ8_1; static constexpr int qk = kQK8_1; };
template <> struct BlockOf<GgmlType::Q2_K> { using type = BlockQ2_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::Q3_K> { using type = BlockQ3_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::Q4_K> { using type = BlockQ4_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::Q5_K> { using type = BlockQ5_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::Q6_K> { using type = BlockQ6_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::Q8_K> { using type = BlockQ8_K; static constexpr int qk = kQK_K; };
template <> struct BlockOf<GgmlType::IQ4_NL> { using type = BlockIQ4_NL; static constexpr int qk = kQK4_NL; };
template <> struct BlockOf<GgmlType::IQ4_XS> { using type = BlockIQ4_XS; static constexpr int qk = kQK_K; };

// ---- packed-scale helpers (layout knowledge shared by quantizers and kernels) -----------

// Four bytes at p as a little-endian word (unaligned).
inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Q4_K/Q5_K: all eight 6-bit scales and mins at once, byte j of *sc / *mn for sub-block j.
inline void unpack_scales_mins_k4(const uint8_t* s, uint64_t* sc, uint64_t* mn) {
  const uint32_t w0 = load_u32(s), w1 = load_u32(s + 4), w2 = load_u32(s + 8);
  const uint32_t sc_hi = (w2 & 0x0F0F0F0Fu) | (((w0 >> 6) & 0x03030303u) << 4);
  const uint32_t m_hi = ((w2 >> 4) & 0x0F0F0F0Fu) | (((w1 >> 6) & 0x03030303u) << 4);
  *sc = (w0 & 0x3F3F3F3Fu) | (static_cast<uint64_t>(sc_hi) << 32);
  *mn = (w1 & 0x3F3F3F3Fu) | (static_cast<uint64_t>(m_hi) << 32);
}

// Q4_K/Q5_K: sub-block j (0..7) -> 6-bit scale *sc and 6-bit min *m (spec §4.9).
inline void unpack_scale_min_k4(int j, const uint8_t* s, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Q3_K: sub-block j (0..15) -> stored 6-bit value u (the scale is u - 32).
inline int unpack_scale_q3_k(int j, const uint8_t* s) {
  const int lo = j < 8 ? (s[j] & 0x0F) : (s[j - 8] >> 4);
  const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return lo | (hi << 4);
}

// IQ4_XS: sub-block ib (0..7) -> stored 6-bit value ls (the scale is ls - 32).
inline int unpack_scale_iq4_xs(int ib, const BlockIQ4_XS& b) {
  const int lo = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0F;
  const int hi = (b.scales_h >> (2 * ib)) & 3;
  return lo | (hi << 4);
}

}  // namespace hearth::tensor

// AVX2 K-quant kernels (Q2_K..Q6_K against Q8_K activations, spec §5), equal to the scalar
// reference exactly.
//
// A super-block of 256 weights is read as eight 32-element chunks: u[i] the unsigned codes
// of elements 32i..32i+31 and sc[i] the int16 sub-block scale of each element pair, so the
// scaled integer sum is  main = sum_i madd(maddubs(u[i], a[i]), sc[i])  (pair sums < 2^15:
// codes <= 63, |a| <= 127). The 16 activation block sums meet one int16 coefficient each:
//   corr = sum_k coef[k] * bsums[k]
// which is the reference's `summs` for Q2_K/Q4_K/Q5_K (coef = the mins) and carries the code
// offsets of Q3_K (isum = main - 4 corr, coef = scales) and Q6_K (isum = main - 32 corr).
// Both are the reference's exact integers; the per-super-block float term is then formed with
// the reference's operations, (d*dy)*isum [- (dmin*dy)*summs], and summed in block order.
//
// vec_dot decodes on the fly and reduces each super-block to two scalars. gemm decodes 4
// rows once per call and runs 4x2 (rows x tokens) tiles whose eight outputs sit in the
// eight lanes of one register, so the block-order sum is a vector add.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/util.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx2 {
namespace {

using namespace hearth::tensor;

__m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m256i bcast128(__m128i v) { return _mm256_broadcastsi128_si256(v); }

// int16 scale of each element pair of chunk i for 16 per-16-element scales held as bytes
// in s8 (both 128-bit lanes): pairs 0..7 get scale 2i, pairs 8..15 scale 2i+1.
template <bool kSignedScales>
__m256i scales16_per16(__m256i s8, int i) {
  const __m256i idx = _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(((2 * i + 1) << 8) | 0x80)),
                                       _mm_set1_epi16(static_cast<short>(((2 * i) << 8) | 0x80)));
  const __m256i hi = _mm256_shuffle_epi8(s8, idx);  // scale byte in the high half of each int16
  return kSignedScales ? _mm256_srai_epi16(hi, 8) : _mm256_srli_epi16(hi, 8);
}
// Chunk i (2 bits at shift 2*(i%4) of the 32-byte plane i/4) of a 2-bit code array.
__m256i two_bits(const uint8_t* qs, int i) {
  return _mm256_and_si256(_mm256_srli_epi16(load32(qs + 32 * (i / 4)), 2 * (i % 4)), _mm256_set1_epi8(3));
}
// Bit i of each of the 32 bytes of plane, as 0/1 bytes.
__m256i plane_bit(__m256i plane, int i) { return _mm256_and_si256(_mm256_srli_epi16(plane, i), _mm256_set1_epi8(1)); }

// Per type: Prep holds what the chunks share; chunk(i) -> (u, sc); coef; d/dmin; kOffset.
struct Q2K {
  using Block = BlockQ2_K;
  static constexpr bool kMins = true;
  static constexpr int kOffset = 0;
  struct Prep {
    __m256i s8;
  };
  static Prep prep(const Block& b) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    return {bcast128(_mm_and_si128(s, _mm_set1_epi8(0x0F)))};
  }
  static __m256i coef(const Block& b) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    return _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0F)));
  }
  static __m256i codes(const Block& b, const Prep&, int i) { return two_bits(b.qs, i); }
  static __m256i scales(const Prep& p, int i) { return scales16_per16<false>(p.s8, i); }
  static float dmin(const Block& b) { return fp16_to_fp32(b.dmin); }
};

struct Q3K {
  using Block = BlockQ3_K;
  static constexpr bool kMins = false;
  static constexpr int kOffset = 4;
  struct Prep {
    __m256i s8;
    __m256i hmask;
  };
  // The 16 six-bit scales minus 32 as int8 (unpack_scale_q3_k for all j at once).
  static __m128i scales8(const Block& b) {
    const uint32_t w0 = load_u32(b.scales), w1 = load_u32(b.scales + 4), w2 = load_u32(b.scales + 8);
    const uint32_t m4 = 0x0F0F0F0Fu, m2 = 0x03030303u;
    const __m128i v = _mm_setr_epi32(static_cast<int>((w0 & m4) | ((w2 & m2) << 4)),
                                     static_cast<int>((w1 & m4) | (((w2 >> 2) & m2) << 4)),
                                     static_cast<int>(((w0 >> 4) & m4) | (((w2 >> 4) & m2) << 4)),
                                     static_cast<int>(((w1 >> 4) & m4) | (((w2 >> 6) & m2) << 4)));
    return _mm_sub_epi8(v, _mm_set1_epi8(32));
  }
  static Prep prep(const Block& b) { return {bcast128(scales8(b)), load32(b.hmask)}; }
  static __m256i coef(const Block& b) { return _mm256_cvtepi8_epi16(scales8(b)); }
  static __m256i codes(const Block& b, const Prep& p, int i) {
    return _mm256_or_si256(two_bits(b.qs, i), _mm256_slli_epi16(plane_bit(p.hmask, i), 2));
  }
  static __m256i scales(const Prep& p, int i) { return scales16_per16<true>(p.s8, i); }
  static float dmin(const Block&) { return 0.0f; }
};

// Q4_K/Q5_K: 8 six-bit scales and mins (spec §4.9) as bytes.
struct K4Scales {
  uint64_t sc, mn;
  explicit K4Scales(const uint8_t* s) {
    const uint32_t w0 = load_u32(s), w1 = load_u32(s + 4), w2 = load_u32(s + 8);
    const uint32_t sc_hi = (w2 & 0x0F0F0F0Fu) | (((w0 >> 6) & 0x03030303u) << 4);
    const uint32_t m_hi = ((w2 >> 4) & 0x0F0F0F0Fu) | (((w1 >> 6) & 0x03030303u) << 4);
    sc = (w0 & 0x3F3F3F3Fu) | (static_cast<uint64_t>(sc_hi) << 32);
    mn = (w1 & 0x3F3F3F3Fu) | (static_cast<uint64_t>(m_hi) << 32);
  }
};

template <bool kFifth>
struct Q45K {
  using Block = std::conditional_t<kFifth, BlockQ5_K, BlockQ4_K>;
  static constexpr bool kMins = true;
  static constexpr int kOffset = 0;
  struct Prep {
    __m256i s8;
    __m256i qh;
  };
  static Prep prep(const Block& b) {
    const K4Scales k(b.scales);
    Prep p;
    p.s8 = _mm256_set1_epi64x(static_cast<long long>(k.sc));
    if constexpr (kFifth) p.qh = load32(b.qh);
    else p.qh = _mm256_setzero_si256();
    return p;
  }
  static __m256i coef(const Block& b) {
    const K4Scales k(b.scales);
    const __m128i m = _mm_cvtsi64_si128(static_cast<long long>(k.mn));
    return _mm256_cvtepu8_epi16(_mm_shuffle_epi8(m, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));
  }
  static __m256i codes(const Block& b, const Prep& p, int i) {
    __m256i v = load32(b.qs + 32 * (i / 2));
    if (i & 1) v = _mm256_srli_epi16(v, 4);
    v = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
    if constexpr (kFifth) v = _mm256_or_si256(v, _mm256_slli_epi16(plane_bit(p.qh, i), 4));
    return v;
  }
  static __m256i scales(const Prep& p, int i) {
    return _mm256_shuffle_epi8(p.s8, _mm256_set1_epi16(static_cast<short>(0x8000 | i)));
  }
  static float dmin(const Block& b) { return fp16_to_fp32(b.dmin); }
};

struct Q6K {
  using Block = BlockQ6_K;
  static constexpr bool kMins = false;
  static constexpr int kOffset = 32;
  struct Prep {
    __m256i s8;
  };
  static Prep prep(const Block& b) { return {bcast128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)))}; }
  static __m256i coef(const Block& b) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
  }
  static __m256i codes(const Block& b, const Prep&, int i) {
    const int h = i / 4, g = i % 4;
    __m256i lo = load32(b.ql + 64 * h + 32 * (g & 1));
    if (g >= 2) lo = _mm256_srli_epi16(lo, 4);
    lo = _mm256_and_si256(lo, _mm256_set1_epi8(0x0F));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(load32(b.qh + 32 * h), 2 * g), _mm256_set1_epi8(3));
    return _mm256_or_si256(lo, _mm256_slli_epi16(hi, 4));
  }
  static __m256i scales(const Prep& p, int i) { return scales16_per16<true>(p.s8, i); }
  static float dmin(const Block&) { return 0.0f; }
};

__m256i bsums16(const BlockQ8_K& a) { return load32(a.bsums); }

// The reference's float term of one super-block from its exact integers.
template <typename T>
float block_term(int main, int corr, float d, float dmin, float dy) {
  if constexpr (T::kMins) {
    return (d * dy) * static_cast<float>(main) - (dmin * dy) * static_cast<float>(corr);
  } else {
    return (d * dy) * static_cast<float>(main - T::kOffset * corr);
  }
}

template <typename T>
void vec_dot(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const typename T::Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const typename T::Prep p = T::prep(x[b]);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (int i = 0; i < 8; i += 2) {
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(T::codes(x[b], p, i), load32(y[b].qs + 32 * i)),
                                                      T::scales(p, i)));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(T::codes(x[b], p, i + 1),
                                                                           load32(y[b].qs + 32 * i + 32)),
                                                      T::scales(p, i + 1)));
    }
    const int main = hsum_epi32(_mm256_add_epi32(acc0, acc1));
    const int corr = hsum_epi32(_mm256_madd_epi16(T::coef(x[b]), bsums16(y[b])));
    sum += block_term<T>(main, corr, fp16_to_fp32(x[b].d), T::dmin(x[b]), y[b].d);
  }
  *out = sum;
}

constexpr int kTileR = 4, kTileC = 2;

// One super-block of 4 rows, decoded (rows past the end of a short tile are zero).
struct alignas(32) RowBlocks {
  __m256i u[kTileR][8];
  __m256i sc[kTileR][8];
  __m256i coef[kTileR];
  float d[kTileR];
  float dmin[kTileR];
};

template <typename T>
void decode_rows(const uint8_t* w, size_t w_stride, int rr, int64_t nsb, RowBlocks* dec) {
  for (int64_t b = 0; b < nsb; ++b) {
    RowBlocks& o = dec[b];
    for (int r = 0; r < kTileR; ++r) {
      if (r >= rr) {
        for (int i = 0; i < 8; ++i) o.u[r][i] = o.sc[r][i] = _mm256_setzero_si256();
        o.coef[r] = _mm256_setzero_si256();
        o.d[r] = o.dmin[r] = 0.0f;
        continue;
      }
      const auto& blk = reinterpret_cast<const typename T::Block*>(w + r * w_stride)[b];
      const typename T::Prep p = T::prep(blk);
      for (int i = 0; i < 8; ++i) {
        o.u[r][i] = T::codes(blk, p, i);
        o.sc[r][i] = T::scales(p, i);
      }
      o.coef[r] = T::coef(blk);
      o.d[r] = fp16_to_fp32(blk.d);
      o.dmin[r] = T::dmin(blk);
    }
  }
}

// Lane t * 4 + r of the result = the sum of the 8 lanes of v[t][r].
__m256i reduce_4x2(const __m256i v[2][kTileR]) {
  const __m256i s0 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0][0], v[0][1]), _mm256_hadd_epi32(v[0][2], v[0][3]));
  const __m256i s1 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[1][0], v[1][1]), _mm256_hadd_epi32(v[1][2], v[1][3]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20), _mm256_permute2x128_si256(s0, s1, 0x31));
}

template <typename T>
__m256 tile_4x2(const RowBlocks* dec, int64_t nsb, const BlockQ8_K* y0, const BlockQ8_K* y1) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < nsb; ++b) {
    const RowBlocks& rb = dec[b];
    __m256i m[2][kTileR], c[2][kTileR];
    for (int t = 0; t < 2; ++t)
      for (int r = 0; r < kTileR; ++r) m[t][r] = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i) {
      const __m256i a0 = load32(y0[b].qs + 32 * i), a1 = load32(y1[b].qs + 32 * i);
      for (int r = 0; r < kTileR; ++r) {
        m[0][r] = _mm256_add_epi32(m[0][r], _mm256_madd_epi16(_mm256_maddubs_epi16(rb.u[r][i], a0), rb.sc[r][i]));
        m[1][r] = _mm256_add_epi32(m[1][r], _mm256_madd_epi16(_mm256_maddubs_epi16(rb.u[r][i], a1), rb.sc[r][i]));
      }
    }
    const __m256i bs0 = bsums16(y0[b]), bs1 = bsums16(y1[b]);
    for (int r = 0; r < kTileR; ++r) {
      c[0][r] = _mm256_madd_epi16(rb.coef[r], bs0);
      c[1][r] = _mm256_madd_epi16(rb.coef[r], bs1);
    }
    const __m256i main = reduce_4x2(m), corr = reduce_4x2(c);
    const __m256 d = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(rb.d));
    const __m256 dy = _mm256_set_m128(_mm_set1_ps(y1[b].d), _mm_set1_ps(y0[b].d));
    __m256 term;
    if constexpr (T::kMins) {
      const __m256 dmin = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(rb.dmin));
      term = _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(main)),
                           _mm256_mul_ps(_mm256_mul_ps(dmin, dy), _mm256_cvtepi32_ps(corr)));
    } else {
      const __m256i isum = _mm256_sub_epi32(main, _mm256_mullo_epi32(corr, _mm256_set1_epi32(T::kOffset)));
      term = _mm256_mul_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(isum));
    }
    acc = _mm256_add_ps(acc, term);
  }
  return acc;
}

template <typename T>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t nsb = n / kQK_K;
  RowBlocks* dec = scratch<RowBlocks>(static_cast<size_t>(nsb));
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  for (int r0 = 0; r0 < nr; r0 += kTileR) {
    const int rr = nr - r0 < kTileR ? nr - r0 : kTileR;
    decode_rows<T>(wb + r0 * w_stride, w_stride, rr, nsb, dec);
    for (int c0 = 0; c0 < nc; c0 += kTileC) {
      const int cc = nc - c0 < kTileC ? nc - c0 : kTileC;
      const auto* y0 = reinterpret_cast<const BlockQ8_K*>(ab + c0 * act_stride);
      const auto* y1 = cc > 1 ? reinterpret_cast<const BlockQ8_K*>(ab + (c0 + 1) * act_stride) : y0;
      alignas(32) float res[8];
      _mm256_store_ps(res, tile_4x2<T>(dec, nsb, y0, y1));
      for (int t = 0; t < cc; ++t)
        for (int r = 0; r < rr; ++r) out[(c0 + t) * ldo + r0 + r] = res[4 * t + r];
    }
  }
}

template <typename T>
TypeEntry entry() {
  return {vec_dot<T>, gemm<T>, 16, 64};
}

}  // namespace

TypeEntry q2_k() { return entry<Q2K>(); }
TypeEntry q3_k() { return entry<Q3K>(); }
TypeEntry q4_k() { return entry<Q45K<false>>(); }
TypeEntry q5_k() { return entry<Q45K<true>>(); }
TypeEntry q6_k() { return entry<Q6K>(); }

}  // namespace hearth::kernels::avx2

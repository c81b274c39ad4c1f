// AVX-512 matrix-vector dot products for Q4_K and Q6_K against Q8_K (token generation).
//
// These two types carry most of a Q4_K_M model, and a row dot must keep up with the memory
// stream, so per 256-weight super-block the work is kept to a few instructions per 64 codes:
//   codes   Q4_K: one 32-byte broadcast load, one masked shift (low nibbles stay in the lower
//           256 bits, high nibbles move down in the upper), one AND; Q6_K: one 64-byte load of
//           low nibbles for two chunks, the 2 high bits shifted into place and merged by vpternlog
//   product vpdpbusd(unsigned codes, signed activations) -> int32 sums of 4 products, which fit
//           int16 (codes <= 63, |a| <= 128); two chunks are packed (vpackssdw, exact) and one
//           vpdpwssd applies the sub-block scales to both
//   scales  decoded once per super-block; the scale vector of a chunk pair is one byte shuffle
//           (Q4_K) or one word permute (Q6_K)
// The Q4_K mins and the Q6_K code offset (-32) both go through the Q8_K block sums with one
// vpmaddwd per super-block; for Q6_K the offset term is folded into the integer sum exactly.
// Per super-block the integer sums are folded to 8 lanes and combined in float with
// d * d_act (and dmin * d_act), converted from fp16 with vector instructions.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

__m512i bcast256(const void* p) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
}

// Per-16-bit-lane shift counts: `lo` for the lower 256 bits, `hi` for the upper.
__m512i halves_epi16(int lo, int hi) {
  return _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(static_cast<short>(lo)),
                                 _mm512_set1_epi16(static_cast<short>(hi)));
}

// The upper 256 bits of a zmm as a word mask (the high-nibble half of a chunk).
constexpr __mmask32 kUpperWords = 0xFFFF0000u;

float hsum8(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

__m256i fold(__m512i v) { return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1)); }

// vpshufb controls for chunk pair k (chunks 2k, 2k+1, sub-blocks 4k..4k+3) after vpackssdw:
// in 128-bit lane L, words 0..3 come from chunk 2k (sub-block 4k + L / 2) and words 4..7 from
// chunk 2k+1 (sub-block 4k + 2 + L / 2); every 128-bit lane of the source holds all 8 scales.
struct Q4ScaleCtl {
  alignas(64) uint8_t b[2][64];
  constexpr Q4ScaleCtl() : b{} {
    for (int k = 0; k < 2; ++k)
      for (int i = 0; i < 64; ++i) {
        const int lane = i / 16, word = (i % 16) / 2;
        const int sub = 4 * k + (word < 4 ? 0 : 2) + lane / 2;
        b[k][i] = static_cast<uint8_t>(2 * sub + (i & 1));
      }
  }
};
constexpr Q4ScaleCtl kQ4Ctl;

// vpermw indices for chunk pair h (chunks 2h, 2h+1) after vpackssdw: in 128-bit lane L, words
// 0..3 hold chunk 2h's sums of sub-block 8h + L and words 4..7 chunk 2h+1's of 8h + 4 + L.
struct Q6ScaleIdx {
  alignas(64) int16_t i[2][32];
  constexpr Q6ScaleIdx() : i{} {
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 32; ++w) i[h][w] = static_cast<int16_t>(8 * h + (w % 8 < 4 ? 0 : 4) + w / 8);
  }
};
constexpr Q6ScaleIdx kQ6Idx;

}  // namespace

void vec_dot_q4_k(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(act);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ4_K& b = x[i];
    const BlockQ8_K& a = y[i];
    uint64_t sc, mn;
    unpack_scales_mins_k4(b.scales, &sc, &mn);
    const __m512i s16 =
        _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(sc))));
    __m512i isum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int k = 0; k < 2; ++k) {
      __m512i part[2];  // sums of 4 products, |.| <= 4 * 15 * 128: exact as int16 after packing
      for (int h = 0; h < 2; ++h) {
        const int c = 2 * k + h;
        const __m512i v = bcast256(b.qs + 32 * c);
        const __m512i q = _mm512_and_si512(_mm512_mask_srli_epi16(v, kUpperWords, v, 4), low4);
        part[h] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(a.qs + 64 * c));
      }
      const __m512i packed = _mm512_packs_epi32(part[0], part[1]);
      const __m512i scv = _mm512_shuffle_epi8(s16, _mm512_load_si512(kQ4Ctl.b[k]));
      isum[k] = _mm512_dpwssd_epi32(isum[k], packed, scv);
    }
    // sum_j m_j * (bsums[2j] + bsums[2j+1]): mins duplicated to the 16 bsums.
    const __m128i m8 = _mm_cvtsi64_si128(static_cast<long long>(mn));
    const __m256i mdup = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
    const __m256i msum = _mm256_madd_epi16(mdup, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)));
    // [d * dy, dmin * dy]
    const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(load_u32(&b.d)))), _mm_set1_ps(a.d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold(_mm512_add_epi32(isum[0], isum[1]))), _mm256_broadcastss_ps(dd), acc);
    acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_broadcastss_ps(_mm_movehdup_ps(dd)), acc_min);
  }
  *out = hsum8(_mm256_sub_ps(acc, acc_min));
}

void vec_dot_q6_k(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(act);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  // High 2 bits of element group g (0..3) sit at bits 2g of qh; move them to bits 4..5.
  const __m512i up_g01 = halves_epi16(4, 2);    // g = 0, 1: shift left
  const __m512i down_g23 = halves_epi16(0, 2);  // g = 2, 3: shift right
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ6_K& b = x[i];
    const BlockQ8_K& a = y[i];
    const __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    const __m512i s16z = _mm512_castsi256_si512(s16);
    __m512i isum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int h = 0; h < 2; ++h) {
      // Chunk 2h: low nibbles of ql[64h..], groups 0/1; chunk 2h+1: high nibbles, groups 2/3.
      const __m512i l = _mm512_loadu_si512(b.ql + 64 * h);
      const __m512i qh = bcast256(b.qh + 32 * h);
      const __m512i hi0 = _mm512_and_si512(_mm512_sllv_epi16(qh, up_g01), bits45);
      const __m512i hi1 = _mm512_and_si512(_mm512_srlv_epi16(qh, down_g23), bits45);
      const __m512i q0 = _mm512_ternarylogic_epi32(l, hi0, low4, 0xEC);  // (l & 0x0F) | hi0
      const __m512i q1 = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), hi1, low4, 0xEC);
      // Sums of 4 products, |.| <= 4 * 63 * 128 < 2^15: exact as int16 after packing.
      const __m512i p0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q0, _mm512_loadu_si512(a.qs + 128 * h));
      const __m512i p1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q1, _mm512_loadu_si512(a.qs + 128 * h + 64));
      const __m512i scv = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6Idx.i[h]), s16z);
      isum[h] = _mm512_dpwssd_epi32(isum[h], _mm512_packs_epi32(p0, p1), scv);
    }
    // Codes are stored + 32: subtract 32 * sum_j scale_j * bsums_j (exact in int32).
    const __m256i corr = _mm256_madd_epi16(s16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)));
    const __m256i total = _mm256_sub_epi32(fold(_mm512_add_epi32(isum[0], isum[1])), _mm256_slli_epi32(corr, 5));
    uint16_t dh;
    std::memcpy(&dh, &b.d, 2);
    const __m128 d = _mm_mul_ss(_mm_cvtph_ps(_mm_cvtsi32_si128(dh)), _mm_set_ss(a.d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_broadcastss_ps(d), acc);
  }
  *out = hsum8(acc);
}

}  // namespace hearth::kernels::avx512

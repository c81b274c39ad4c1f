// AVX-512 K-quant kernels (Q2_K, Q3_K, Q5_K against Q8_K activations, spec §5). Q4_K and Q6_K,
// the bulk of a Q4_K_M model, have dedicated kernels: vecdot_k46.cpp (row dots) and
// gemm_kquants.cpp (interleaved VNNI prompt tiles); their entries are registered below.
//
// Every super-block of 256 weights is decoded into the same form:
//   q[4]   64 unsigned codes per chunk (chunk c = elements 64c..64c+63, activation order)
//   sc[4]  the int16 sub-block scale for every pair of elements of the chunk
//   m      16 floats, the per-16-element coefficient of the activation block sums (this
//          carries the Q2/Q5_K mins and the code offset of Q3_K (-4))
//   d      the float multiplier of the integer part
// so that  dot = d*dy * sum_c dpwssd(maddubs(q_c, a_c), sc_c)  +  sum_16 m * (dy * bsums).
// maddubs cannot saturate: codes are <= 63 and |a| <= 127, so pair sums stay below 2^15.
// The integer sum of one super-block fits int32 (|scale| <= 128, 256 terms).
//
// vec_dot decodes into registers; gemm decodes up to 4 rows once per call into a scratch
// buffer and then runs 4x2 (rows x tokens) register tiles over the whole row, so each
// decoded weight chunk is reused for every token of the call.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

struct alignas(64) Decoded {
  __m512i q[4];
  __m512i sc[4];
  __m512 m;
  float d;
};

// Index vectors spreading 16 (or 8) int16 scales over the 32 element pairs of chunk c.
struct ScaleIdx {
  alignas(64) int16_t per16[4][32];
  alignas(64) int16_t per32[4][32];
  alignas(64) int32_t half[16];
  constexpr ScaleIdx() : per16{}, per32{}, half{} {
    for (int c = 0; c < 4; ++c)
      for (int i = 0; i < 32; ++i) {
        per16[c][i] = static_cast<int16_t>(4 * c + i / 8);
        per32[c][i] = static_cast<int16_t>(2 * c + i / 16);
      }
    for (int i = 0; i < 16; ++i) half[i] = i / 2;
  }
};
constexpr ScaleIdx kIdx;

__m512i idx16(int c) { return _mm512_load_si512(kIdx.per16[c]); }
__m512i idx32(int c) { return _mm512_load_si512(kIdx.per32[c]); }

// Two 32-byte halves: lo in bytes 0..31, hi in 32..63.
__m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
__m512i bcast256(const uint8_t* p) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
// Per-byte bit select: low half tests bit `lo`, high half bit `hi`.
__m512i bit_pair(int lo, int hi) {
  return _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi8(static_cast<char>(1 << lo)),
                                 _mm512_set1_epi8(static_cast<char>(1 << hi)));
}
// 2-bit field of a broadcast 32-byte plane: low half at bit `lo`, high half at bit `lo + 2`.
__m512i two_bits(__m512i plane, int lo) {
  const __m512i sv = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(static_cast<short>(lo)),
                                             _mm512_set1_epi16(static_cast<short>(lo + 2)));
  return _mm512_and_si512(_mm512_srlv_epi16(plane, sv), _mm512_set1_epi8(3));
}

// F16C widening (same values as tensor's table lookup, which misses cache in a weight stream).
float h2f(uint16_t h) { return _cvtsh_ss(h); }

template <bool kFifth, typename B>
void decode_q45(const B& b, Decoded& o) {
  uint64_t sc, mn;
  unpack_scales_mins_k4(b.scales, &sc, &mn);
  const __m512i s8 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(sc))));
  const __m512 m8 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(mn))));
  o.m = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_load_si512(kIdx.half), m8), _mm512_set1_ps(-h2f(b.dmin)));
  o.d = h2f(b.d);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
    __m512i q = _mm512_and_si512(join(v, _mm256_srli_epi16(v, 4)), low4);
    if constexpr (kFifth) {
      const __mmask64 h = _mm512_test_epi8_mask(bcast256(b.qh), bit_pair(2 * c, 2 * c + 1));
      q = _mm512_mask_add_epi8(q, h, q, _mm512_set1_epi8(16));
    }
    o.q[c] = q;
    o.sc[c] = _mm512_permutexvar_epi16(idx32(c), s8);
  }
}

void decode(const BlockQ5_K& b, Decoded& o) { decode_q45<true>(b, o); }

void decode(const BlockQ3_K& b, Decoded& o) {
  alignas(16) int8_t u[16];
  for (int j = 0; j < 16; ++j) u[j] = static_cast<int8_t>(unpack_scale_q3_k(j, b.scales) - 32);
  const __m128i s = _mm_load_si128(reinterpret_cast<const __m128i*>(u));
  const __m512i s16 = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(s));
  o.d = h2f(b.d);
  o.m = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(s)), _mm512_set1_ps(-4.0f * o.d));
  const __m512i hm = bcast256(b.hmask);
  for (int c = 0; c < 4; ++c) {
    __m512i q = two_bits(bcast256(b.qs + 32 * (c / 2)), 4 * (c & 1));
    const __mmask64 h = _mm512_test_epi8_mask(hm, bit_pair(2 * c, 2 * c + 1));
    o.q[c] = _mm512_mask_add_epi8(q, h, q, _mm512_set1_epi8(4));
    o.sc[c] = _mm512_permutexvar_epi16(idx16(c), s16);
  }
}

void decode(const BlockQ2_K& b, Decoded& o) {
  const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
  const __m512i s16 = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_and_si128(s, _mm_set1_epi8(0x0F))));
  const __m128i mins = _mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0F));
  o.d = h2f(b.d);
  o.m = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(mins)), _mm512_set1_ps(-h2f(b.dmin)));
  for (int c = 0; c < 4; ++c) {
    o.q[c] = two_bits(bcast256(b.qs + 32 * (c / 2)), 4 * (c & 1));
    o.sc[c] = _mm512_permutexvar_epi16(idx16(c), s16);
  }
}

__m512i load_chunk(const BlockQ8_K& a, int c) { return _mm512_loadu_si512(a.qs + 64 * c); }
__m512 bsums_scaled(const BlockQ8_K& a) {
  const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(bs)), _mm512_set1_ps(a.d));
}

template <typename B>
void vec_dot(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const B*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(act);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    Decoded dec;
    decode(x[i], dec);
    __m512i isum = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c)
      isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(dec.q[c], load_chunk(y[i], c)), dec.sc[c]);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(dec.d * y[i].d), acc);
    acc = _mm512_fmadd_ps(dec.m, bsums_scaled(y[i]), acc);
  }
  *out = hsum(acc);
}

constexpr int kTileR = 4, kTileC = 2;

struct KTile {
  // dec: RR rows of nsb decoded super-blocks; acts: CC activation rows.
  template <int RR, int CC>
  static void run(const Decoded* dec, int64_t nsb, const uint8_t* act, size_t act_stride, float* out, int64_t ldo) {
    __m512 acc[RR][CC];
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nsb; ++i) {
      const BlockQ8_K* a[CC];
      for (int t = 0; t < CC; ++t) a[t] = reinterpret_cast<const BlockQ8_K*>(act + t * act_stride) + i;
      __m512i isum[RR][CC];
      for (int r = 0; r < RR; ++r)
        for (int t = 0; t < CC; ++t) isum[r][t] = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        __m512i av[CC];
        for (int t = 0; t < CC; ++t) av[t] = load_chunk(*a[t], c);
        for (int r = 0; r < RR; ++r) {
          const Decoded& d = dec[r * nsb + i];
          for (int t = 0; t < CC; ++t)
            isum[r][t] = _mm512_dpwssd_epi32(isum[r][t], _mm512_maddubs_epi16(d.q[c], av[t]), d.sc[c]);
        }
      }
      for (int t = 0; t < CC; ++t) {
        const __m512 bs = bsums_scaled(*a[t]);
        const float dy = a[t]->d;
        for (int r = 0; r < RR; ++r) {
          const Decoded& d = dec[r * nsb + i];
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r][t]), _mm512_set1_ps(d.d * dy), acc[r][t]);
          acc[r][t] = _mm512_fmadd_ps(d.m, bs, acc[r][t]);
        }
      }
    }
    for (int t = 0; t < CC; ++t)
      for (int r = 0; r < RR; ++r) out[t * ldo + r] = hsum(acc[r][t]);
  }
};

template <typename B>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t nsb = n / kQK_K;
  Decoded* dec = scratch<Decoded>(static_cast<size_t>(kTileR * nsb));
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  for (int r0 = 0; r0 < nr; r0 += kTileR) {
    const int rr = nr - r0 < kTileR ? nr - r0 : kTileR;
    for (int r = 0; r < rr; ++r) {
      const B* row = reinterpret_cast<const B*>(wb + (r0 + r) * w_stride);
      for (int64_t i = 0; i < nsb; ++i) decode(row[i], dec[r * nsb + i]);
    }
    for (int c0 = 0; c0 < nc; c0 += kTileC) {
      const int cc = nc - c0 < kTileC ? nc - c0 : kTileC;
      TileDispatch<KTile, kTileR, kTileC>::call(rr, cc, dec, nsb, ab + c0 * act_stride, act_stride,
                                                out + c0 * ldo + r0, ldo);
    }
  }
}

template <typename B>
TypeEntry entry() {
  return {vec_dot<B>, gemm<B>, 16, 64};
}

}  // namespace

TypeEntry q2_k() { return entry<BlockQ2_K>(); }
TypeEntry q3_k() { return entry<BlockQ3_K>(); }
TypeEntry q4_k() { return {vec_dot_q4_k, gemm_q4_k(), 64, 64}; }
TypeEntry q5_k() { return entry<BlockQ5_K>(); }
TypeEntry q6_k() { return {vec_dot_q6_k, gemm_q6_k(), 64, 64}; }

}  // namespace hearth::kernels::avx512

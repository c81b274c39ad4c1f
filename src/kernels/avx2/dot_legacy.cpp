// AVX2 kernels for the 32-element block types: Q4_0, Q5_0, Q8_0, IQ4_NL against Q8_0
// activations and Q4_1, Q5_1 against Q8_1 (spec §5). Results equal the scalar reference
// exactly:
//  * a weight block decodes to 32 bytes u that vpmaddubsw takes as unsigned and, for the
//    signed codes, the codes s themselves: sum(q * a) = sum(|q| * sign(a, q)). Pair sums stay
//    below 2^15 (|q| <= 128, |a| <= 127), so maddubs never saturates and the block's integer
//    dot product is exact;
//  * eight such dot products (eight blocks of one row in vec_dot, or one block of 4 rows x 2
//    tokens in gemm) are reduced into the eight lanes of one register, turned into the
//    reference's per-block float term, (isum * dx) * dy or (dx * dy) * isum + m * s, with
//    the same IEEE operations, and added to the running sum in block order, as the
//    reference does. In gemm each lane is one output, so that sum is a plain vector add.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/util.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx2 {
namespace {

using namespace hearth::tensor;

// 32 nibble codes of one block in element order (low nibbles then high nibbles).
__m256i nibbles(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}
// 0x10 in byte j where bit j of the little-endian 32-bit qh is set.
__m256i fifth_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                             _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL,
                                                                0x0303030303030303LL));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}
__m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Signed codes: u = |q|, s = q. Unsigned codes: u = q (s unused).
struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr bool kSigned = true;
  static __m256i codes(const Block& b) { return _mm256_sub_epi8(nibbles(b.qs), _mm256_set1_epi8(8)); }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr bool kSigned = true;
  static __m256i codes(const Block& b) {
    return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), _mm256_set1_epi8(16));
  }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr bool kSigned = true;
  static __m256i codes(const Block& b) { return load32(b.qs); }
};
struct IQ4_NL {
  using Block = BlockIQ4_NL;
  static constexpr bool kSigned = true;
  static __m256i codes(const Block& b) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kValuesIq4nl)));
    return _mm256_shuffle_epi8(table, nibbles(b.qs));
  }
};
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr bool kSigned = false;
  static __m256i codes(const Block& b) { return nibbles(b.qs); }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr bool kSigned = false;
  static __m256i codes(const Block& b) { return _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)); }
};

template <typename T>
using Act = std::conditional_t<T::kSigned, BlockQ8_0, BlockQ8_1>;

struct Codes {
  __m256i u, s;
};

template <typename T>
Codes decode(const typename T::Block& b) {
  const __m256i q = T::codes(b);
  if constexpr (T::kSigned) return {_mm256_abs_epi8(q), q};
  return {q, q};
}

// Eight int32 partial sums of one block's exact integer dot product.
template <typename T>
__m256i block_dot(const Codes& c, __m256i a) {
  if constexpr (T::kSigned) a = _mm256_sign_epi8(a, c.s);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(c.u, a), _mm256_set1_epi16(1));
}

// Up to 8 fp16 fields at p, p + stride, ...; lanes >= count are 0.
__m256 gather_fp16_n(const void* p, size_t stride, int count) {
  if (count == 8) return gather_fp16(p, stride);
  const auto* b = static_cast<const uint8_t*>(p);
  alignas(16) uint16_t h[8] = {};
  for (int i = 0; i < count; ++i) std::memcpy(&h[i], b + i * stride, 2);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// The reference's per-block float terms, lane-wise, from exact integer sums.
template <typename T>
__m256 block_terms(__m256i isum, __m256 dx, __m256 dy, __m256 m, __m256 s) {
  const __m256 fs = _mm256_cvtepi32_ps(isum);
  if constexpr (T::kSigned) {
    return _mm256_mul_ps(_mm256_mul_ps(fs, dx), dy);
  } else {
    return _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(dx, dy), fs), _mm256_mul_ps(m, s));
  }
}

template <typename T>
void vec_dot(int64_t n, float* out, const void* w, const void* act) {
  using B = typename T::Block;
  const auto* x = static_cast<const B*>(w);
  const auto* y = static_cast<const Act<T>*>(act);
  const int64_t nb = n / 32;
  float sum = 0.0f;
  for (int64_t b0 = 0; b0 < nb; b0 += 8) {
    const int cnt = nb - b0 < 8 ? static_cast<int>(nb - b0) : 8;
    __m256i p[8];
    for (int j = 0; j < 8; ++j)
      p[j] = j < cnt ? block_dot<T>(decode<T>(x[b0 + j]), load32(y[b0 + j].qs)) : _mm256_setzero_si256();
    const __m256 dx = gather_fp16_n(&x[b0].d, sizeof(B), cnt);
    const __m256 dy = gather_fp16_n(&y[b0].d, sizeof(Act<T>), cnt);
    __m256 m = _mm256_setzero_ps(), s = _mm256_setzero_ps();
    if constexpr (!T::kSigned) {
      m = gather_fp16_n(&x[b0].m, sizeof(B), cnt);
      s = gather_fp16_n(&y[b0].s, sizeof(Act<T>), cnt);
    }
    alignas(32) float terms[8];
    _mm256_store_ps(terms, block_terms<T>(reduce8(p), dx, dy, m, s));
    for (int j = 0; j < cnt; ++j) sum += terms[j];
  }
  *out = sum;
}

// gemm: weight rows decoded once per call, 4 rows at a time, into this layout (rows past
// the end of a short tile are zero and their outputs are not stored).
constexpr int kTileR = 4, kTileC = 2;

struct alignas(32) RowBlocks {
  Codes c[kTileR];
  float d[kTileR];
  float m[kTileR];
};

template <typename T>
void decode_rows(const uint8_t* w, size_t w_stride, int rr, int64_t nb, RowBlocks* dec) {
  for (int64_t b = 0; b < nb; ++b) {
    RowBlocks& o = dec[b];
    for (int r = 0; r < kTileR; ++r) {
      if (r < rr) {
        const auto& blk = reinterpret_cast<const typename T::Block*>(w + r * w_stride)[b];
        o.c[r] = decode<T>(blk);
        o.d[r] = fp16_to_fp32(blk.d);
        if constexpr (!T::kSigned) o.m[r] = fp16_to_fp32(blk.m);
        else o.m[r] = 0.0f;
      } else {
        o.c[r] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        o.d[r] = o.m[r] = 0.0f;
      }
    }
  }
}

// One 4x2 tile over all nb blocks: lane t * 4 + r accumulates output (row r, token t).
template <typename T>
__m256 tile_4x2(const RowBlocks* dec, int64_t nb, const Act<T>* y0, const Act<T>* y1) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const RowBlocks& rb = dec[b];
    const __m256i a0 = load32(y0[b].qs), a1 = load32(y1[b].qs);
    __m256i h[4];
    for (int t = 0; t < 2; ++t) {
      const __m256i a = t == 0 ? a0 : a1;
      h[2 * t] = _mm256_hadd_epi32(block_dot<T>(rb.c[0], a), block_dot<T>(rb.c[1], a));
      h[2 * t + 1] = _mm256_hadd_epi32(block_dot<T>(rb.c[2], a), block_dot<T>(rb.c[3], a));
    }
    const __m256i s0 = _mm256_hadd_epi32(h[0], h[1]), s1 = _mm256_hadd_epi32(h[2], h[3]);
    const __m256i isum = _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20), _mm256_permute2x128_si256(s0, s1, 0x31));
    const __m256 dx = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(rb.d));
    const __m256 dy = _mm256_set_m128(_mm_set1_ps(fp16_to_fp32(y1[b].d)), _mm_set1_ps(fp16_to_fp32(y0[b].d)));
    __m256 m = _mm256_setzero_ps(), s = _mm256_setzero_ps();
    if constexpr (!T::kSigned) {
      m = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(rb.m));
      s = _mm256_set_m128(_mm_set1_ps(fp16_to_fp32(y1[b].s)), _mm_set1_ps(fp16_to_fp32(y0[b].s)));
    }
    acc = _mm256_add_ps(acc, block_terms<T>(isum, dx, dy, m, s));
  }
  return acc;
}

template <typename T>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t nb = n / 32;
  RowBlocks* dec = scratch<RowBlocks>(static_cast<size_t>(nb));
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  for (int r0 = 0; r0 < nr; r0 += kTileR) {
    const int rr = nr - r0 < kTileR ? nr - r0 : kTileR;
    decode_rows<T>(wb + r0 * w_stride, w_stride, rr, nb, dec);
    for (int c0 = 0; c0 < nc; c0 += kTileC) {
      const int cc = nc - c0 < kTileC ? nc - c0 : kTileC;
      const auto* y0 = reinterpret_cast<const Act<T>*>(ab + c0 * act_stride);
      const auto* y1 = cc > 1 ? reinterpret_cast<const Act<T>*>(ab + (c0 + 1) * act_stride) : y0;
      alignas(32) float res[8];
      _mm256_store_ps(res, tile_4x2<T>(dec, nb, y0, y1));
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

TypeEntry q4_0() { return entry<Q4_0>(); }
TypeEntry q5_0() { return entry<Q5_0>(); }
TypeEntry q8_0() { return entry<Q8_0>(); }
TypeEntry iq4_nl() { return entry<IQ4_NL>(); }
TypeEntry q4_1() { return entry<Q4_1>(); }
TypeEntry q5_1() { return entry<Q5_1>(); }

}  // namespace hearth::kernels::avx2

// AVX-512 VNNI kernels for Q4_0 and Q8_0 weights in the packed Q4_0x16 / Q8_0x16 layouts
// (kernels/packed.h) against Q8_0 activations.
//
// A 64-byte quarter of a packed block holds 4 bytes of each of 16 rows (lane r = row r).
// Q4_0: its low nibbles are 4 consecutive codes of every row and its high nibbles the 4 codes
// 16 elements later; Q8_0: 4 consecutive codes. So (after the nibble split) one vpdpbusd
// against a broadcast of the 4 matching activation bytes advances 16 row dot products: 8
// vpdpbusd per block and 16 rows. The codes are unsigned (Q4_0 0..15, Q8_0 q + 128:
// vpdpbusd's unsigned operand) and the offset (8 or 128) is removed exactly by starting each
// block's sum at -offset * sum(activation block). Per block and row the
// float result is fmadd(float(isum), d_w * d_a, acc) in block order, the same in gemv and
// gemm, so a token gets bit-identical results from both. gemv streams the groups in order
// and leaves prefetching to the hardware (explicit prefetches measured slower).
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "kernels/packed.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using tensor::BlockQ8_0;

// Per activation block: its scale and -offset * (sum of its codes).
struct ActBlock {
  float d;
  int32_t corr;
};

// The two formats: bytes of one block's codes, the weight code offset, and the 8 code
// vectors of a block with the activation byte offset each one meets.
struct Q4 {
  static constexpr size_t kCodeBytes = kQ4_0x16CodeBytes;
  static constexpr int kOffset = 8;
  // q[2j]: low nibbles of quarter j (elements 4j..), q[2j+1]: high nibbles (elements 16+4j..).
  static constexpr int kActOffset[8] = {0, 16, 4, 20, 8, 24, 12, 28};
  static void codes(const uint8_t* p, __m512i* q) {
    const __m512i m = _mm512_set1_epi8(0x0F);
    for (int j = 0; j < 4; ++j) {
      const __m512i v = _mm512_load_si512(p + 64 * j);
      q[2 * j] = _mm512_and_si512(v, m);
      q[2 * j + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
    }
  }
};
struct Q8 {
  static constexpr size_t kCodeBytes = kQ8_0x16CodeBytes;
  static constexpr int kOffset = 128;
  static constexpr int kActOffset[8] = {0, 4, 8, 12, 16, 20, 24, 28};
  static void codes(const uint8_t* p, __m512i* q) {
    for (int j = 0; j < 8; ++j) q[j] = _mm512_load_si512(p + 64 * j);
  }
};

template <typename F>
void prepare_act(const BlockQ8_0* a, int64_t nb, ActBlock* out) {
  const __m256i ones = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs));
    const __m256i s8 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    out[b] = {_cvtsh_ss(a[b].d), -F::kOffset * _mm_cvtsi128_si32(s)};
  }
}

__m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

template <typename F>
constexpr size_t kPairBytes = 64 + 2 * F::kCodeBytes;

template <typename F>
const uint8_t* block_codes(const uint8_t* group, int64_t b) {
  return group + (b >> 1) * kPairBytes<F> + 64 + F::kCodeBytes * (b & 1);
}
template <typename F>
__m512 block_scales(const uint8_t* group, int64_t b) {
  return _mm512_cvtph_ps(
      _mm256_load_si256(reinterpret_cast<const __m256i*>(group + (b >> 1) * kPairBytes<F> + 32 * (b & 1))));
}

template <typename F>
struct Codes {
  __m512i q[8];
  explicit Codes(const uint8_t* p) { F::codes(p, q); }
};

template <typename F>
__m512i block_sum(const Codes<F>& c, const int8_t* a, int32_t corr) {
  // Two independent chains keep the vpdpbusd latency off the critical path.
  __m512i s0 = _mm512_set1_epi32(corr), s1 = _mm512_setzero_si512();
  for (int j = 0; j < 8; j += 2) {
    s0 = _mm512_dpbusd_epi32(s0, c.q[j], bcast4(a + F::kActOffset[j]));
    s1 = _mm512_dpbusd_epi32(s1, c.q[j + 1], bcast4(a + F::kActOffset[j + 1]));
  }
  return _mm512_add_epi32(s0, s1);
}

template <typename F>
void gemv(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act, float* out) {
  const auto* a = static_cast<const BlockQ8_0*>(act);
  const int64_t nb = n / 32;
  ActBlock* ai = scratch<ActBlock>(static_cast<size_t>(nb));
  prepare_act<F>(a, nb, ai);
  for (int64_t g = 0; g < n_groups; ++g) {
    const uint8_t* group = w + g * group_stride;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const __m512i isum = block_sum(Codes<F>(block_codes<F>(group, b)), a[b].qs, ai[b].corr);
      const __m512 scale = _mm512_mul_ps(block_scales<F>(group, b), _mm512_set1_ps(ai[b].d));
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc);
    }
    _mm512_storeu_ps(out + g * kPackRows16, acc);
  }
}

constexpr int kTileCols = 8;

// One group of 16 rows x CC tokens; codes decoded once per block for all CC tokens (RR: always 1).
template <typename F>
struct GroupTile {
  template <int RR, int CC>
  static void run(const uint8_t* group, int64_t nb, const uint8_t* act, size_t act_stride, const ActBlock* ai,
                  float* out, int64_t ldo) {
    __m512 acc[CC];
    for (int t = 0; t < CC; ++t) acc[t] = _mm512_setzero_ps();
#pragma GCC unroll 1
    for (int64_t b = 0; b < nb; ++b) {
      const Codes<F> c(block_codes<F>(group, b));
      const __m512 dw = block_scales<F>(group, b);
#pragma GCC unroll 16
      for (int t = 0; t < CC; ++t) {
        const auto* a = reinterpret_cast<const BlockQ8_0*>(act + t * act_stride) + b;
        const ActBlock& x = ai[t * nb + b];
        const __m512i isum = block_sum(c, a->qs, x.corr);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, _mm512_set1_ps(x.d)), acc[t]);
      }
    }
    for (int t = 0; t < CC; ++t) _mm512_storeu_ps(out + t * ldo, acc[t]);
  }
};

template <typename F>
void gemm(int64_t n, int64_t n_groups, int nc, const uint8_t* w, size_t group_stride, const void* act,
          size_t act_stride, float* out, int64_t ldo) {
  const int64_t nb = n / 32;
  const auto* ab = static_cast<const uint8_t*>(act);
  ActBlock* ai = scratch<ActBlock>(static_cast<size_t>(nb * nc));
  for (int t = 0; t < nc; ++t)
    prepare_act<F>(reinterpret_cast<const BlockQ8_0*>(ab + t * act_stride), nb, ai + t * nb);
  for (int64_t g = 0; g < n_groups; ++g)
    for (int t0 = 0; t0 < nc; t0 += kTileCols) {
      const int cc = nc - t0 < kTileCols ? nc - t0 : kTileCols;
      TileDispatch<GroupTile<F>, 1, kTileCols>::call(1, cc, w + g * group_stride, nb, ab + t0 * act_stride,
                                                     act_stride, ai + t0 * nb, out + t0 * ldo + g * kPackRows16, ldo);
    }
}

}  // namespace

// 256 rows per gemm call: the per-call activation sums are then a few percent of the work.
void set_packed_q4_0_avx512(TypeKernels& tk) { set_packed_q4_0(tk, gemv<Q4>, gemm<Q4>, 256, true); }
void set_packed_q8_0_avx512(TypeKernels& tk) { set_packed_q8_0(tk, gemv<Q8>, gemm<Q8>, 256, true); }

}  // namespace hearth::kernels::avx512

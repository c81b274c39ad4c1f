// AVX-512 kernels for the 32-element block types: Q4_0, Q5_0, Q8_0, IQ4_NL against Q8_0
// activations and Q4_1, Q5_1 against Q8_1 (spec §5).
//
// Two weight blocks (64 elements, one zmm) are decoded at a time into int8 codes q, a
// per-lane int32 start value `corr`, the per-lane block scales d and (Q4_1/Q5_1) the block
// minima m (lanes 0 and 8 only). VNNI vpdpbusd needs unsigned x signed bytes:
//  * signed codes (Q4_0 q-8, Q5_0 q-16, Q8_0, IQ4_NL values): the activation is biased to
//    a+128 (xor 0x80) and corr = -128 * sum(q) removes the bias exactly;
//  * unsigned codes (Q4_1, Q5_1): q directly, corr = 0, and the Q8_1 s field adds m*s.
// Each lane of the int32 result belongs to one block, so block scales apply lane-wise and a
// single horizontal sum at the end of the row gives the dot product.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

struct alignas(64) Decoded {
  __m512i q;
  __m512i corr;
  __m512 d;
  __m512 m;
};

__m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
__m512 lanes2(float a, float b) { return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(a), _mm512_set1_ps(b)); }
// F16C widening: same value as tensor's fp16_to_fp32, without its 256 KiB table (whose
// lookups miss cache while weights stream through).
float h2f(uint16_t h) { return _cvtsh_ss(h); }

// 32 nibble codes of one block in element order (low nibbles then high nibbles).
__m256i nibbles(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}
template <typename B>
__m512i nibbles2(const B& b0, const B& b1) {
  return join(nibbles(b0.qs), nibbles(b1.qs));
}
uint64_t qh2(const uint8_t* h0, const uint8_t* h1) {
  uint32_t a, b;
  std::memcpy(&a, h0, 4);
  std::memcpy(&b, h1, 4);
  return a | (static_cast<uint64_t>(b) << 32);
}

struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr bool kSigned = true;
  static __m512i codes(const Block& b0, const Block& b1) {
    return _mm512_sub_epi8(nibbles2(b0, b1), _mm512_set1_epi8(8));
  }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr bool kSigned = true;
  static __m512i codes(const Block& b0, const Block& b1) {
    const __m512i q = nibbles2(b0, b1);
    const __mmask64 h = qh2(b0.qh, b1.qh);
    return _mm512_sub_epi8(_mm512_mask_add_epi8(q, h, q, _mm512_set1_epi8(16)), _mm512_set1_epi8(16));
  }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr bool kSigned = true;
  static __m512i codes(const Block& b0, const Block& b1) {
    return join(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0.qs)),
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b1.qs)));
  }
};
struct IQ4_NL {
  using Block = BlockIQ4_NL;
  static constexpr bool kSigned = true;
  static __m512i codes(const Block& b0, const Block& b1) {
    const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kValuesIq4nl)));
    return _mm512_shuffle_epi8(table, nibbles2(b0, b1));
  }
};
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr bool kSigned = false;
  static __m512i codes(const Block& b0, const Block& b1) { return nibbles2(b0, b1); }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr bool kSigned = false;
  static __m512i codes(const Block& b0, const Block& b1) {
    const __m512i q = nibbles2(b0, b1);
    return _mm512_mask_add_epi8(q, qh2(b0.qh, b1.qh), q, _mm512_set1_epi8(16));
  }
};

template <typename T>
using Act = std::conditional_t<T::kSigned, BlockQ8_0, BlockQ8_1>;

template <typename T>
void decode(const typename T::Block& b0, const typename T::Block& b1, Decoded& o) {
  o.q = T::codes(b0, b1);
  o.d = lanes2(h2f(b0.d), h2f(b1.d));
  if constexpr (T::kSigned) {
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(static_cast<char>(0x80)), o.q);
    o.corr = _mm512_sub_epi32(_mm512_setzero_si512(), sum);
    o.m = _mm512_setzero_ps();
  } else {
    o.corr = _mm512_setzero_si512();
    o.m = _mm512_maskz_mov_ps(0x0101, lanes2(h2f(b0.m), h2f(b1.m)));
  }
}

// Activation pair (two blocks) as dpbusd's unsigned operand, with per-lane scales (and sums).
template <typename T>
struct ActPair {
  __m512i a;
  __m512 d;
  __m512 s;
  ActPair(const Act<T>& a0, const Act<T>& a1) {
    a = join(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a0.qs)),
             _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a1.qs)));
    d = lanes2(h2f(a0.d), h2f(a1.d));
    if constexpr (T::kSigned) {
      a = _mm512_xor_si512(a, _mm512_set1_epi8(static_cast<char>(0x80)));
      s = _mm512_setzero_ps();
    } else {
      s = lanes2(h2f(a0.s), h2f(a1.s));
    }
  }
};

template <typename T>
__m512 accumulate(const Decoded& w, const ActPair<T>& a, __m512 acc) {
  // vpdpbusd: first operand unsigned. Signed codes meet the biased activation; unsigned
  // codes (Q4_1/Q5_1) meet the plain signed activation.
  const __m512i isum = T::kSigned ? _mm512_dpbusd_epi32(w.corr, a.a, w.q) : _mm512_dpbusd_epi32(w.corr, w.q, a.a);
  acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(w.d, a.d), acc);
  if constexpr (!T::kSigned) acc = _mm512_fmadd_ps(w.m, a.s, acc);
  return acc;
}

// Zero blocks pad an odd block count (scale 0: they contribute exactly 0).
template <typename T>
const typename T::Block& zero_block() {
  static const typename T::Block z{};
  return z;
}
template <typename T>
const Act<T>& zero_act() {
  static const Act<T> z{};
  return z;
}

template <typename T>
void vec_dot(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const typename T::Block*>(w);
  const auto* y = static_cast<const Act<T>*>(act);
  const int64_t nb = n / 32;
  // Two accumulators (four blocks per step) so the float chain does not limit the stream.
  __m512 acc = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 4 <= nb; i += 4) {
    Decoded d0, d1;
    decode<T>(x[i], x[i + 1], d0);
    decode<T>(x[i + 2], x[i + 3], d1);
    acc = accumulate<T>(d0, ActPair<T>(y[i], y[i + 1]), acc);
    acc1 = accumulate<T>(d1, ActPair<T>(y[i + 2], y[i + 3]), acc1);
  }
  acc = _mm512_add_ps(acc, acc1);
  for (; i + 2 <= nb; i += 2) {
    Decoded d;
    decode<T>(x[i], x[i + 1], d);
    acc = accumulate<T>(d, ActPair<T>(y[i], y[i + 1]), acc);
  }
  if (i < nb) {
    Decoded d;
    decode<T>(x[i], zero_block<T>(), d);
    acc = accumulate<T>(d, ActPair<T>(y[i], zero_act<T>()), acc);
  }
  *out = hsum(acc);
}

constexpr int kTileR = 4, kTileC = 4;

template <typename T>
struct LTile {
  template <int RR, int CC>
  static void run(const Decoded* dec, int64_t npair, int64_t nb, const uint8_t* act, size_t act_stride, float* out,
                  int64_t ldo) {
    __m512 acc[RR][CC];
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t p = 0; p < npair; ++p) {
      const bool full = 2 * p + 1 < nb;
      for (int t = 0; t < CC; ++t) {
        const auto* y = reinterpret_cast<const Act<T>*>(act + t * act_stride) + 2 * p;
        const ActPair<T> a(y[0], full ? y[1] : zero_act<T>());
        for (int r = 0; r < RR; ++r) acc[r][t] = accumulate<T>(dec[r * npair + p], a, acc[r][t]);
      }
    }
    for (int t = 0; t < CC; ++t)
      for (int r = 0; r < RR; ++r) out[t * ldo + r] = hsum(acc[r][t]);
  }
};

template <typename T>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t nb = n / 32, npair = (nb + 1) / 2;
  Decoded* dec = scratch<Decoded>(static_cast<size_t>(kTileR * npair));
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  for (int r0 = 0; r0 < nr; r0 += kTileR) {
    const int rr = nr - r0 < kTileR ? nr - r0 : kTileR;
    for (int r = 0; r < rr; ++r) {
      const auto* row = reinterpret_cast<const typename T::Block*>(wb + (r0 + r) * w_stride);
      for (int64_t p = 0; p < npair; ++p)
        decode<T>(row[2 * p], 2 * p + 1 < nb ? row[2 * p + 1] : zero_block<T>(), dec[r * npair + p]);
    }
    for (int c0 = 0; c0 < nc; c0 += kTileC) {
      const int cc = nc - c0 < kTileC ? nc - c0 : kTileC;
      TileDispatch<LTile<T>, kTileR, kTileC>::call(rr, cc, dec, npair, nb, ab + c0 * act_stride, act_stride,
                                                   out + c0 * ldo + r0, ldo);
    }
  }
}

template <typename T>
TypeEntry entry() {
  return {vec_dot<T>, gemm<T>, 16, 64};
}

}  // namespace

TypeEntry q4_0() { return {vec_dot<Q4_0>, gemm_q4_0(), 64, 64}; }
TypeEntry q5_0() { return {vec_dot<Q5_0>, gemm_q5_0(), 64, 64}; }
TypeEntry q8_0() { return {vec_dot<Q8_0>, gemm_q8_0(), 64, 64}; }
TypeEntry iq4_nl() { return {vec_dot<IQ4_NL>, gemm_iq4_nl(), 64, 64}; }
TypeEntry q4_1() { return entry<Q4_1>(); }
TypeEntry q5_1() { return entry<Q5_1>(); }

}  // namespace hearth::kernels::avx512

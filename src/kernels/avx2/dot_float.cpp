// AVX2 kernels for float weights: F32 x F32, F16 x F16 (F16C widening) and BF16 x BF16
// (shift into the upper half), all with FMA into fp32 lanes. Products of two halves or two
// bfloats are exact in fp32; only the summation differs from the double-precision reference.
#include "kernels/simd.h"

#include <type_traits>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/util.h"

namespace hearth::kernels::avx2 {
namespace {

// Loaders: 8 floats from element p[0..7]; `left` < 8 loads only that many (zeros after).
struct F32 {
  using T = float;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
  static __m256 load(const float* p, int64_t left) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_maskload_ps(p, m);
  }
};
template <typename Self>
struct Half16 {
  using T = uint16_t;
  static __m256 load(const uint16_t* p) { return Self::widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static __m256 load(const uint16_t* p, int64_t left) {
    alignas(16) uint16_t h[8] = {};
    for (int64_t i = 0; i < left && i < 8; ++i) h[i] = p[i];
    return Self::widen(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
  }
};
struct F16 : Half16<F16> {
  static __m256 widen(__m128i h) { return _mm256_cvtph_ps(h); }
};
struct BF16 : Half16<BF16> {
  static __m256 widen(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
};

template <typename L>
void vec_dot_fp(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const typename L::T*>(w);
  const auto* y = static_cast<const typename L::T*>(act);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int u = 0; u < 4; ++u) acc[u] = _mm256_fmadd_ps(L::load(x + i + 8 * u), L::load(y + i + 8 * u), acc[u]);
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(L::load(x + i), L::load(y + i), acc[0]);
  if (i < n) acc[1] = _mm256_fmadd_ps(L::load(x + i, n - i), L::load(y + i, n - i), acc[1]);
  *out = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

// gemm: register tiles of RR weight rows x CC activation rows, 8 elements per step (12
// accumulators + 3 activation vectors + 1 weight vector = the 16 ymm registers). The row
// is cut into kKc-element slices so that a slice of all the call's weight rows (<= 16 x 1
// KiB) stays in L1 while every token meets it; tiles keep their accumulator vectors in a
// scratch array between slices. F16/BF16 slices are widened to fp32 once per slice
// (weights) or once per column tile (activations): widening costs as much as the FMAs it
// feeds. The order of operations is fixed by (n, nr, nc): results do not depend on threads.
constexpr int kTileR = 4, kTileC = 3;
constexpr int64_t kKc = 256;

struct FTile {
  // w/act: fp32 slices of kn elements; acc: CC x RR vectors (column-major like out).
  template <int RR, int CC>
  static void run(int64_t kn, const float* w, size_t ws, const float* act, size_t as, __m256* acc, int nr_all) {
    __m256 c[RR][CC];
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) c[r][t] = acc[t * nr_all + r];
    int64_t i = 0;
    for (; i + 8 <= kn; i += 8) {
      __m256 a[CC];
      for (int t = 0; t < CC; ++t) a[t] = _mm256_loadu_ps(act + t * as + i);
      for (int r = 0; r < RR; ++r) {
        const __m256 x = _mm256_loadu_ps(w + r * ws + i);
        for (int t = 0; t < CC; ++t) c[r][t] = _mm256_fmadd_ps(x, a[t], c[r][t]);
      }
    }
    if (i < kn) {
      __m256 a[CC];
      for (int t = 0; t < CC; ++t) a[t] = F32::load(act + t * as + i, kn - i);
      for (int r = 0; r < RR; ++r) {
        const __m256 x = F32::load(w + r * ws + i, kn - i);
        for (int t = 0; t < CC; ++t) c[r][t] = _mm256_fmadd_ps(x, a[t], c[r][t]);
      }
    }
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) acc[t * nr_all + r] = c[r][t];
  }
};

template <typename L>
void widen(const typename L::T* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, L::load(src + i));
  if (i < n) {
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, L::load(src + i, n - i));
    for (int64_t j = 0; i + j < n; ++j) dst[i + j] = tmp[j];
  }
}

template <typename L>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  constexpr bool kWiden = !std::is_same_v<L, F32>;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  const size_t n_acc = static_cast<size_t>(nr) * static_cast<size_t>(nc);
  __m256* acc = scratch<__m256>(n_acc);
  for (size_t i = 0; i < n_acc; ++i) acc[i] = _mm256_setzero_ps();
  float* wide = kWiden ? scratch<float>(static_cast<size_t>(kKc) * static_cast<size_t>(nr + kTileC)) : nullptr;
  for (int64_t k0 = 0; k0 < n; k0 += kKc) {
    const int64_t kn = n - k0 < kKc ? n - k0 : kKc;
    // This slice of the weight rows as fp32: in place (F32) or widened.
    const float* ws_base;
    size_t ws;  // in floats
    if constexpr (kWiden) {
      for (int r = 0; r < nr; ++r)
        widen<L>(reinterpret_cast<const typename L::T*>(wb + r * w_stride) + k0, wide + r * kKc, kn);
      ws_base = wide;
      ws = kKc;
    } else {
      ws_base = reinterpret_cast<const float*>(wb) + k0;
      ws = w_stride / sizeof(float);
    }
    for (int c0 = 0; c0 < nc; c0 += kTileC) {
      const int cc = nc - c0 < kTileC ? nc - c0 : kTileC;
      const float* as_base;
      size_t as;
      if constexpr (kWiden) {
        float* af = wide + static_cast<size_t>(nr) * kKc;
        for (int t = 0; t < cc; ++t)
          widen<L>(reinterpret_cast<const typename L::T*>(ab + (c0 + t) * act_stride) + k0, af + t * kKc, kn);
        as_base = af;
        as = kKc;
      } else {
        as_base = reinterpret_cast<const float*>(ab + c0 * act_stride) + k0;
        as = act_stride / sizeof(float);
      }
      for (int r0 = 0; r0 < nr; r0 += kTileR) {
        const int rr = nr - r0 < kTileR ? nr - r0 : kTileR;
        TileDispatch<FTile, kTileR, kTileC>::call(rr, cc, kn, ws_base + r0 * ws, ws, as_base, as,
                                                  acc + static_cast<size_t>(c0) * nr + r0, nr);
      }
    }
  }
  for (int c = 0; c < nc; ++c)
    for (int r = 0; r < nr; ++r) out[c * ldo + r] = hsum(acc[static_cast<size_t>(c) * nr + r]);
}

template <typename L>
TypeEntry entry() {
  return {vec_dot_fp<L>, gemm<L>, 16, 48};
}

}  // namespace

TypeEntry f32() { return entry<F32>(); }
TypeEntry f16() { return entry<F16>(); }
TypeEntry bf16() { return entry<BF16>(); }

}  // namespace hearth::kernels::avx2

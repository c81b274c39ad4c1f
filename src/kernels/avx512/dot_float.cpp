// AVX-512 kernels for float weights: F32 x F32, F16 x F16 (F16C widening + FMA) and
// BF16 x BF16 (vdpbf16ps; the products of two bf16 values are exact in fp32).
#include "kernels/simd.h"

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"

namespace hearth::kernels::avx512 {
namespace {

// Loaders: 16 floats (k elements remain; masked when fewer than 16).
struct F32 {
  using T = float;
  static constexpr int kStep = 16;
  static __m512 load(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};
struct F16 {
  using T = uint16_t;
  static constexpr int kStep = 16;
  static __m512 load(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
};

template <typename L>
void vec_dot_fp(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const typename L::T*>(w);
  const auto* y = static_cast<const typename L::T*>(act);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int u = 0; u < 4; ++u) acc[u] = _mm512_fmadd_ps(L::load(x + i + 16 * u, 0xFFFF), L::load(y + i + 16 * u, 0xFFFF), acc[u]);
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
    acc[0] = _mm512_fmadd_ps(L::load(x + i, m), L::load(y + i, m), acc[0]);
  }
  *out = hsum(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

constexpr int kTileR = 4, kTileC = 4;

template <typename L>
struct FTile {
  template <int RR, int CC>
  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* act, size_t as, float* out, int64_t ldo) {
    __m512 acc[RR][CC];
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
      __m512 a[CC];
      for (int t = 0; t < CC; ++t) a[t] = L::load(reinterpret_cast<const typename L::T*>(act + t * as) + i, m);
      for (int r = 0; r < RR; ++r) {
        const __m512 x = L::load(reinterpret_cast<const typename L::T*>(w + r * ws) + i, m);
        for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_fmadd_ps(x, a[t], acc[r][t]);
      }
    }
    for (int t = 0; t < CC; ++t)
      for (int r = 0; r < RR; ++r) out[t * ldo + r] = hsum(acc[r][t]);
  }
};

template <typename Tile, int R, int C>
void gemm_direct(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride,
                 float* out, int64_t ldo) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  for (int c0 = 0; c0 < nc; c0 += C) {
    const int cc = nc - c0 < C ? nc - c0 : C;
    for (int r0 = 0; r0 < nr; r0 += R) {
      const int rr = nr - r0 < R ? nr - r0 : R;
      TileDispatch<Tile, R, C>::call(rr, cc, n, wb + r0 * w_stride, w_stride, ab + c0 * act_stride, act_stride,
                                     out + c0 * ldo + r0, ldo);
    }
  }
}

// ---- BF16: 32 elements per vdpbf16ps ----
__m512bh load_bf16(const uint16_t* p, __mmask32 m) { return (__m512bh)_mm512_maskz_loadu_epi16(m, p); }
__mmask32 tail32(int64_t left) { return left >= 32 ? 0xFFFFFFFFu : static_cast<__mmask32>((1u << left) - 1); }

void vec_dot_bf16(int64_t n, float* out, const void* w, const void* act) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(act);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_dpbf16_ps(acc0, load_bf16(x + i, ~0u), load_bf16(y + i, ~0u));
    acc1 = _mm512_dpbf16_ps(acc1, load_bf16(x + i + 32, ~0u), load_bf16(y + i + 32, ~0u));
  }
  for (; i < n; i += 32) acc0 = _mm512_dpbf16_ps(acc0, load_bf16(x + i, tail32(n - i)), load_bf16(y + i, tail32(n - i)));
  *out = hsum(_mm512_add_ps(acc0, acc1));
}

struct BTile {
  template <int RR, int CC>
  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* act, size_t as, float* out, int64_t ldo) {
    __m512 acc[RR][CC];
    for (int r = 0; r < RR; ++r)
      for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 32) {
      const __mmask32 m = tail32(n - i);
      __m512bh a[CC];
      for (int t = 0; t < CC; ++t) a[t] = load_bf16(reinterpret_cast<const uint16_t*>(act + t * as) + i, m);
      for (int r = 0; r < RR; ++r) {
        const __m512bh x = load_bf16(reinterpret_cast<const uint16_t*>(w + r * ws) + i, m);
        for (int t = 0; t < CC; ++t) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], x, a[t]);
      }
    }
    for (int t = 0; t < CC; ++t)
      for (int r = 0; r < RR; ++r) out[t * ldo + r] = hsum(acc[r][t]);
  }
};

}  // namespace

TypeEntry f32() { return {vec_dot_fp<F32>, gemm_direct<FTile<F32>, kTileR, kTileC>, 16, 64}; }
TypeEntry f16() { return {vec_dot_fp<F16>, gemm_direct<FTile<F16>, kTileR, kTileC>, 16, 64}; }
TypeEntry bf16() { return {vec_dot_bf16, gemm_direct<BTile, kTileR, kTileC>, 16, 64}; }

}  // namespace hearth::kernels::avx512

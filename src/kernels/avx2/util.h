#pragma once
// Shared scaffolding for the AVX2 kernels: horizontal sums, the 8-vector reduction that
// puts eight independent integer dot products into the eight lanes of one register, a
// per-thread scratch buffer and the run-time -> compile-time tile size dispatcher.
#include "kernels/simd.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace hearth::kernels::avx2 {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// Lane i of the result = sum of the eight int32 lanes of v[i] (exact integer sums).
inline __m256i reduce8(const __m256i v[8]) {
  const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  // a = [v0..v3 low-half sums | v0..v3 high-half sums], b likewise for v4..v7.
  return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

// Eight fp16 values at p, p + stride, ... (bytes) widened to float.
inline __m256 gather_fp16(const void* p, size_t stride) {
  const auto* b = static_cast<const uint8_t*>(p);
  alignas(16) uint16_t h[8];
  for (int i = 0; i < 8; ++i) std::memcpy(&h[i], b + i * stride, 2);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// Grow-only per-thread scratch for decoded weights (32-byte aligned elements).
template <typename T>
T* scratch(size_t count) {
  thread_local std::vector<T> buf;
  if (buf.size() < count) buf.resize(count);
  return buf.data();
}

// Calls F::template run<RR, CC>(args...) for the (rr, cc) given at run time, 1 <= rr <= R,
// 1 <= cc <= C.
template <typename F, int R, int C, int RR = R>
struct TileDispatch {
  template <int CC = C, typename... Args>
  static void cols(int cc, Args&&... args) {
    if constexpr (CC == 1) {
      F::template run<RR, 1>(args...);
    } else {
      if (cc == CC) return F::template run<RR, CC>(args...);
      TileDispatch::template cols<CC - 1>(cc, args...);
    }
  }
  template <typename... Args>
  static void call(int rr, int cc, Args&&... args) {
    if constexpr (RR == 1) {
      cols(cc, args...);
    } else {
      if (rr == RR) return cols(cc, args...);
      TileDispatch<F, R, C, RR - 1>::call(rr, cc, args...);
    }
  }
};

}  // namespace hearth::kernels::avx2

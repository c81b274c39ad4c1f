#pragma once
// Shared scaffolding for the AVX-512 register-blocked gemm kernels: a per-thread scratch
// buffer for decoded weight rows and a dispatcher from run-time tile sizes (nr <= R,
// nc <= C) to fully unrolled template instantiations.
#include "kernels/simd.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::kernels::avx512 {

// Grow-only per-thread scratch for decoded weights (64-byte aligned elements).
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

inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

// In-register transpose of a 16 x 16 matrix of 32-bit elements: out[c] element r = in[r] element c
// (in and out may be the same array).
inline void transpose16x16_epi32(const __m512i* in, __m512i* out) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(in[2 * i], in[2 * i + 1]);
  }
  // u[4i + j], 128-bit lane L: column 4L + j of rows 4i..4i+3.
  for (int i = 0; i < 4; ++i) {
    u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  // 4 x 4 transpose of 128-bit lanes among u[j], u[4 + j], u[8 + j], u[12 + j].
  for (int j = 0; j < 4; ++j) {
    const __m512i a = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
    const __m512i b = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
    const __m512i c = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
    const __m512i d = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
    out[j] = _mm512_shuffle_i32x4(a, b, 0x88);
    out[4 + j] = _mm512_shuffle_i32x4(a, b, 0xDD);
    out[8 + j] = _mm512_shuffle_i32x4(c, d, 0x88);
    out[12 + j] = _mm512_shuffle_i32x4(c, d, 0xDD);
  }
}

}  // namespace hearth::kernels::avx512

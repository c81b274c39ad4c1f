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

}  // namespace hearth::kernels::avx512

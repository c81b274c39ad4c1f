#pragma once
// Numeric primitives (spec §3) and the shared scale searches (spec §4.8) of the reference
// quantizers. Internal to tensor/: compiled with -ffp-contract=off, and every expression
// keeps the spec's evaluation order, because the output bytes depend on each rounding.
// Include it only from translation units built with -ffp-contract=off (hearth_tensor is):
// inlined into a contracting TU, nearest_int(a * b) could become an FMA and change results.
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace hearth::tensor::detail {

inline constexpr float kGroupMaxEps = 1e-15f;  // EPS (GROUP_MAX_EPS)

// Number of qk-blocks in a row of n elements (n must be a multiple of qk).
inline int64_t n_blocks(int64_t n, int qk, const char* type_name) {
  HEARTH_CHECK(n % qk == 0, "{}: row of {} elements is not a multiple of {}", type_name, n, qk);
  return n / qk;
}

// rni(v): round to nearest, ties to even, via the 1.5*2^23 trick (valid for |v| < 2^22; the
// trick is kept, not rintf, so that even out-of-range inputs give the reference's bits).
inline int nearest_int(float v) {
  const float t = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &t, sizeof i);
  return (i & 0x007FFFFF) - 0x00400000;
}

// trunc8(v) / u8(v): C float->int8/uint8 conversion (truncation toward zero). Routed through
// int so an out-of-range value wraps instead of being undefined; in range the result equals
// the direct conversion.
inline int8_t trunc_to_i8(float v) { return static_cast<int8_t>(static_cast<int>(v)); }
inline uint8_t trunc_to_u8(float v) { return static_cast<uint8_t>(static_cast<int>(v)); }

struct MaxAbs {
  float mx = 0.0f;    // signed value of the first element of largest magnitude
  float amax = 0.0f;  // its magnitude
};
inline MaxAbs argmaxabs(const float* x, int n) {
  MaxAbs r;
  for (int i = 0; i < n; ++i) {
    const float ax = x[i] < 0 ? -x[i] : x[i];
    if (ax > r.amax) {
      r.amax = ax;
      r.mx = x[i];
    }
  }
  return r;
}

// SYM_SEARCH (§4.8.1): codes L[i] = l + nmax in [0, 2*nmax-1]; w == nullptr means w(i) = x[i]^2.
float sym_search(int n, int nmax, const float* x, uint8_t* L, const float* w);

// Q3_SEARCH (§4.8.2): codes L[i] in [0, 2*nmax-1] (all 0 for a block below EPS).
float q3_search(int n, int nmax, const float* x, int8_t* L);

// AFFINE_SEARCH (§4.8.3): x ~ scale*L + min, min <= 0; returns scale, *negmin = -min.
// Laux is scratch of n bytes.
struct AffineParams {
  float rmin;
  float rdelta;
  int nstep;
  bool use_abs;  // absolute instead of squared error
};
float affine_search(int n, int nmax, const float* x, const float* w, uint8_t* L, float* negmin, uint8_t* Laux,
                    const AffineParams& p);

// nearest_kv (§3): index of the nearest kValuesIq4nl entry, ties to the upper one.
int nearest_iq4nl(float v);

}  // namespace hearth::tensor::detail

#pragma once
// IEEE binary16 and bfloat16 <-> binary32 conversions, exactly as the GGUF spec §3 defines
// them (and as ggml computes them), so that quantized bytes and dequantized values match
// llama.cpp bit for bit.
//
// Everything here is integer bit manipulation: no floating-point arithmetic, so the results
// do not depend on FMA contraction, FTZ/DAZ or the rounding mode of the caller's translation
// unit (kernels/ compiles with -mfma and default contraction).
//
//   fp16_to_fp32(h)         table lookup (256 KiB, built at compile time); the usual choice
//   fp16_to_fp32_scalar(h)  table-free, constexpr; identical results for all 65536 inputs
//   fp32_to_fp16(x)         round-to-nearest-even, subnormals kept, overflow -> ±Inf,
//                           NaN -> sign | 0x7E00 (= vcvtps2ph with imm 0 for non-NaN input)
//   fp32_to_bf16(x)         round-to-nearest-even on the upper half, NaN forced quiet
//   bf16_to_fp32(h)         exact (bits << 16)
#include <array>
#include <bit>
#include <cstdint>

namespace hearth {

using fp16_t = uint16_t;  // raw binary16 bits, as stored in GGUF blocks
using bf16_t = uint16_t;  // raw bfloat16 bits

// Exact widening. NaNs keep sign and payload and come out quiet (bit 22 set), as F16C's
// vcvtph2ps and ggml's software path do.
constexpr float fp16_to_fp32_scalar(fp16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13) | (mant ? 0x00400000u : 0u);
  } else if (exp != 0) {
    bits = sign | ((exp + (127 - 15)) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal: mant * 2^-24 with mant in [1, 1023]; normalise around its top bit p.
    const uint32_t p = static_cast<uint32_t>(std::bit_width(mant)) - 1;
    bits = sign | ((p + 127 - 24) << 23) | ((mant << (23 - p)) & 0x007FFFFFu);
  }
  return std::bit_cast<float>(bits);
}

constexpr fp16_t fp32_to_fp16_scalar(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) return static_cast<fp16_t>(sign | 0x7E00u);  // NaN
  if (ax >= 0x38800000u) {
    // Normal half (or overflow): round the 13 dropped mantissa bits to nearest even; a carry
    // runs into the exponent, which is exactly right, and past the top it reaches Inf.
    uint32_t r = (ax + 0x0FFFu + ((ax >> 13) & 1u)) >> 13;
    r -= (127u - 15u) << 10;
    if (r >= 0x7C00u) r = 0x7C00u;
    return static_cast<fp16_t>(sign | r);
  }
  if (ax <= 0x33000000u) return static_cast<fp16_t>(sign);  // |x| <= 2^-25: rounds to ±0 (tie -> even 0)
  // Subnormal half: round(|x| / 2^-24) to nearest even; 1024 is the smallest normal, encoded correctly.
  const uint32_t e = ax >> 23;  // 102..112
  const uint32_t m = (ax & 0x007FFFFFu) | 0x00800000u;
  const uint32_t shift = 126u - e;  // 14..24
  uint32_t q = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return static_cast<fp16_t>(sign | q);
}

constexpr bf16_t fp32_to_bf16_scalar(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<bf16_t>((u >> 16) | 0x40u);  // NaN: force quiet
  return static_cast<bf16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

constexpr float bf16_to_fp32_scalar(bf16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

namespace detail {
// fp16_to_fp32_scalar(i) for every i; constant-initialised (no start-up cost, no init order issue).
extern const std::array<float, 65536> kFp16ToFp32;
}  // namespace detail

inline float fp16_to_fp32(fp16_t h) { return detail::kFp16ToFp32[h]; }
inline fp16_t fp32_to_fp16(float f) { return fp32_to_fp16_scalar(f); }  // no table for this direction
inline float bf16_to_fp32(bf16_t h) { return bf16_to_fp32_scalar(h); }
inline bf16_t fp32_to_bf16(float f) { return fp32_to_bf16_scalar(f); }

// Row helpers (n elements).
void fp16_to_fp32_row(const fp16_t* src, float* dst, int64_t n);
void fp32_to_fp16_row(const float* src, fp16_t* dst, int64_t n);
void bf16_to_fp32_row(const bf16_t* src, float* dst, int64_t n);
void fp32_to_bf16_row(const float* src, bf16_t* dst, int64_t n);

}  // namespace hearth

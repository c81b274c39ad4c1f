// fp16 / bf16 conversions (spec §3): exhaustive over all 65536 16-bit patterns, rounding
// checked at every tie point against an exact reference, and against F16C where the CPU has it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/cpu_features.h"
#include "tensor/fp16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace hearth;

namespace {

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }
float from_bits(uint32_t u) { return std::bit_cast<float>(u); }
bool is_nan_half(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0; }

// Value of a finite half, computed independently in double.
double half_value(uint16_t h) {
  const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
  const double mag = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -mag : mag;
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) uint16_t f16c_from_fp32(float f) {
  return static_cast<uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0));
}
__attribute__((target("f16c"))) float f16c_to_fp32(uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#endif

}  // namespace

TEST(Fp16, TableMatchesScalarForAll65536) {
  for (uint32_t h = 0; h < 65536; ++h) {
    ASSERT_EQ(bits(fp16_to_fp32(static_cast<uint16_t>(h))), bits(fp16_to_fp32_scalar(static_cast<uint16_t>(h))))
        << std::hex << h;
  }
}

TEST(Fp16, WideningIsExactForAll65536) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    const float f = fp16_to_fp32(h);
    if (is_nan_half(h)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      // sign and payload kept, quiet bit set
      EXPECT_EQ(bits(f), ((h & 0x8000u) << 16) | 0x7FC00000u | ((h & 0x3FFu) << 13)) << std::hex << h;
    } else if ((h & 0x7FFF) == 0x7C00) {
      ASSERT_TRUE(std::isinf(f));
      EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0);
    } else {
      ASSERT_EQ(static_cast<double>(f), half_value(h)) << std::hex << h;
      EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;  // -0 stays -0
    }
  }
}

TEST(Fp16, RoundTripForAll65536) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    const uint16_t back = fp32_to_fp16(fp16_to_fp32(h));
    if (is_nan_half(h))
      ASSERT_EQ(back, (h & 0x8000) | 0x7E00) << std::hex << h;  // NaN -> sign | 0x7E00
    else
      ASSERT_EQ(back, h) << std::hex << h;
  }
}

// Around every representable half: the exact midpoint to the next one rounds to the even
// neighbour, one float ulp either side rounds to the nearer one. Covers subnormals, the
// subnormal/normal boundary, binade changes and overflow to Inf (65520 is the tie between
// 65504 and 2^16, and goes to Inf).
TEST(Fp16, RoundsToNearestEvenAtEveryTie) {
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    const double lo = half_value(static_cast<uint16_t>(h));
    const double hi = h + 1 < 0x7C00 ? half_value(static_cast<uint16_t>(h + 1)) : 65536.0;
    const float mid = static_cast<float>((lo + hi) / 2);
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);  // representable in binary32
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h);
    for (float sign : {1.0f, -1.0f}) {
      const uint16_t s = sign < 0 ? 0x8000 : 0;
      ASSERT_EQ(fp32_to_fp16(sign * mid), s | even) << std::hex << h;
      ASSERT_EQ(fp32_to_fp16(sign * std::nextafter(mid, 0.0f)), s | h) << std::hex << h;
      ASSERT_EQ(fp32_to_fp16(sign * std::nextafter(mid, 1e30f)), s | (h + 1)) << std::hex << h;
      ASSERT_EQ(fp32_to_fp16(sign * static_cast<float>(lo)), s | h);
    }
  }
}

TEST(Fp16, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(inf), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(-inf), 0xFC00);
  EXPECT_EQ(fp32_to_fp16(nan), 0x7E00);
  EXPECT_EQ(fp32_to_fp16(-nan), 0xFE00);
  EXPECT_EQ(fp32_to_fp16(from_bits(0x7F800001)), 0x7E00);  // signalling NaN
  EXPECT_EQ(fp32_to_fp16(from_bits(0xFFFFFFFF)), 0xFE00);
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65519.99f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);      // smallest subnormal
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);      // tie -> even (0)
  EXPECT_EQ(fp32_to_fp16(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(-0x1p-26f), 0x8000);     // underflow keeps the sign
  EXPECT_EQ(fp32_to_fp16(1.5f * 0x1p-24f), 0x0002);  // tie 1.5 -> 2
  EXPECT_EQ(fp32_to_fp16(2.5f * 0x1p-24f), 0x0002);  // tie 2.5 -> 2
  EXPECT_EQ(fp32_to_fp16(0x1p-14f), 0x0400);      // smallest normal
  EXPECT_EQ(fp32_to_fp16(std::nextafter(0x1p-14f, 0.0f)), 0x0400);  // rounds up into the normal range
  EXPECT_EQ(fp32_to_fp16(1023.0f * 0x1p-24f), 0x03FF);
  EXPECT_EQ(fp32_to_fp16(from_bits(1)), 0x0000);  // float subnormals vanish
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);                  // tie -> even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);              // tie -> even (up)
  EXPECT_EQ(fp16_to_fp32(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
  EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  static_assert(fp32_to_fp16_scalar(1.0f) == 0x3C00 && fp16_to_fp32_scalar(0x3C00) == 1.0f);
}

#if defined(__x86_64__)
// The spec: fp16() equals vcvtps2ph (round to nearest even) for every non-NaN input. A
// stride-prime sweep touches every exponent and many mantissa patterns (~16.7M floats).
TEST(Fp16, MatchesF16cHardware) {
  if (!detect_cpu_features().f16c) GTEST_SKIP() << "CPU without F16C";
  for (uint64_t u = 0; u <= 0xFFFFFFFFull; u += 257) {
    const float f = from_bits(static_cast<uint32_t>(u));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), f16c_from_fp32(f)) << std::hex << u;
  }
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_EQ(bits(fp16_to_fp32(static_cast<uint16_t>(h))), bits(f16c_to_fp32(static_cast<uint16_t>(h))))
        << std::hex << h;
}
#endif

TEST(Bf16, RoundTripForAll65536) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    const float f = bf16_to_fp32(h);
    ASSERT_EQ(bits(f), i << 16);
    const bool nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0;
    ASSERT_EQ(fp32_to_bf16(f), nan ? (h | 0x40) : h) << std::hex << h;
  }
}

TEST(Bf16, RoundingAndSpecialValues) {
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808000)), 0x3F80);  // tie, lower is even
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F818000)), 0x3F82);  // tie, upper is even
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808001)), 0x3F81);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F807FFF)), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7F7FFFFF)), 0x7F80);  // FLT_MAX overflows to Inf
  EXPECT_EQ(fp32_to_bf16(from_bits(0xFF7FFFFF)), 0xFF80);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x00008000)), 0x0000);  // subnormals are rounded, not flushed
  EXPECT_EQ(fp32_to_bf16(from_bits(0x00018000)), 0x0002);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x00008001)), 0x0001);
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7F800001)), 0x7FC0);  // NaN forced quiet, not rounded to Inf
  EXPECT_EQ(fp32_to_bf16(from_bits(0xFF80FFFF)), 0xFFC0);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7FFFFFFF)), 0x7FFF);
}

TEST(Fp16, RowHelpers) {
  const float src[5] = {0.0f, -1.5f, 65504.0f, 1e-7f, 3.14159f};
  uint16_t h[5], b[5];
  float back[5];
  fp32_to_fp16_row(src, h, 5);
  fp32_to_bf16_row(src, b, 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(h[i], fp32_to_fp16(src[i]));
    EXPECT_EQ(b[i], fp32_to_bf16(src[i]));
  }
  fp16_to_fp32_row(h, back, 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bits(back[i]), bits(fp16_to_fp32(h[i])));
  bf16_to_fp32_row(b, back, 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bits(back[i]), bits(bf16_to_fp32(b[i])));
}

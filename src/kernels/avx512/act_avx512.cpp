// AVX-512 activation quantizers. They reproduce the scalar reference quantizers of tensor/
// bit for bit (spec §4.6, §4.7, §4.15): same scale arithmetic (one IEEE op at a time, no
// FMA), roundf emulated exactly (truncate, then step away from zero when |frac| >= 0.5),
// rni via the round-to-nearest-even conversion, first-maximum selection for Q8_K.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

const __m512 kAbsMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));

__m512 abs_ps(__m512 v) { return _mm512_and_ps(v, kAbsMask); }

// C roundf (half away from zero), exact for every float.
__m512i roundf_epi32(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = abs_ps(_mm512_sub_ps(v, t));  // exact
  const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_andnot_ps(kAbsMask, v));
  return _mm512_cvttps_epi32(_mm512_mask_add_ps(t, up, t, one));
}

// Q8_0/Q8_1 block: codes into qs, returns the unrounded float d and the code sum.
float quantize32(const float* x, int8_t* qs, int* sum) {
  const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(abs_ps(x0), abs_ps(x1)));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m512 vid = _mm512_set1_ps(id);
  const __m512i q0 = roundf_epi32(_mm512_mul_ps(x0, vid));
  const __m512i q1 = roundf_epi32(_mm512_mul_ps(x1, vid));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), _mm512_cvtepi32_epi8(q0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16), _mm512_cvtepi32_epi8(q1));
  if (sum) *sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
  return d;
}

}  // namespace

void convert_q8_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / 32; ++b, x += 32) y[b].d = fp32_to_fp16(quantize32(x, y[b].qs, nullptr));
}

void convert_q8_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    int sum = 0;
    const float d = quantize32(x, y[b].qs, &sum);
    y[b].d = fp32_to_fp16(d);
    y[b].s = fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

void convert_q8_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    __m512 vmax = _mm512_setzero_ps();
    for (int i = 0; i < kQK_K; i += 16) vmax = _mm512_max_ps(vmax, abs_ps(_mm512_loadu_ps(x + i)));
    const float amax = _mm512_reduce_max_ps(vmax);
    BlockQ8_K& blk = y[b];
    if (amax == 0.0f) {
      std::memset(&blk, 0, sizeof blk);
      continue;
    }
    // The reference keeps the first element of largest magnitude (strict > scan).
    float mx = 0.0f;
    const __m512 va = _mm512_set1_ps(amax);
    for (int i = 0; i < kQK_K; i += 16) {
      const __mmask16 m = _mm512_cmp_ps_mask(abs_ps(_mm512_loadu_ps(x + i)), va, _CMP_EQ_OQ);
      if (m) {
        mx = x[i + __builtin_ctz(m)];
        break;
      }
    }
    const float iscale = -127.0f / mx;
    const __m512 vs = _mm512_set1_ps(iscale);
    for (int i = 0; i < kQK_K; i += 16) {
      __m512i q = _mm512_cvt_roundps_epi32(_mm512_mul_ps(vs, _mm512_loadu_ps(x + i)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(blk.qs + i), _mm512_cvtepi32_epi8(q));
      blk.bsums[i / 16] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    blk.d = 1.0f / iscale;
  }
}

void convert_f16(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void convert_bf16(const float* x, void* dst, int64_t n) {
  // Integer rounding (not vcvtneps2bf16, which flushes subnormals) to match fp32_to_bf16.
  auto* y = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i u = _mm512_loadu_si512(x + i);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)),
                                                  _mm512_set1_epi32(0x7F800000));
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm512_cvtepi32_epi16(r));
  }
  for (; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

}  // namespace hearth::kernels::avx512

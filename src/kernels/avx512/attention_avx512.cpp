// AVX-512 attention over an F16 cache with llama.cpp's flash-attention numerics; must equal
// ref::attend_f16 bit for bit (tests/kernels/test_attention_f16.cpp).
// GCC 12 reports its own _mm512_undefined_* placeholders inside these intrinsics as
// maybe-uninitialized (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/avx512/avx512.h"
#include "kernels/ref/ref.h"

namespace hearth::kernels::avx512 {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

__m512 load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
void store_f16(uint16_t* p, __m512 v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, kRound)); }

// ggml's AVX-512 exp: the same operations as ref::ggml_simd_expf, 16 lanes at a time.
__m512 simd_expf(__m512 x) {
  const __m512 shifter = _mm512_set1_ps(0x1.8p23f);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), shifter), shifter);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __mmask16 big = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192.0f), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
  const __m512 res = _mm512_scalef_ps(j, n);
  if (big == 0) return res;
  const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ),
                                          _mm512_set1_ps(INFINITY), _mm512_setzero_ps());
  return _mm512_mask_blend_ps(big, res, alt);
}

// ggml_vec_dot_f16 (4 accumulators over steps of 64, double tail).
float dot_f16(const uint16_t* k, const float* q16, int64_t n) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  const int64_t n64 = n - n % 64;
  for (int64_t i = 0; i < n64; i += 64)
    for (int j = 0; j < 4; ++j) acc[j] = _mm512_fmadd_ps(load_f16(k + i + 16 * j), _mm512_loadu_ps(q16 + i + 16 * j), acc[j]);
  double sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3])));
  for (int64_t e = n64; e < n; ++e) sum += static_cast<double>(fp16_to_fp32(k[e]) * q16[e]);
  return static_cast<float>(sum);
}

void attend_online_row(const AttnF16Job& job, int64_t r, std::vector<float>& q16, std::vector<uint16_t>& acc) {
  const float* q = job.q + r * job.q_stride;
  const int64_t dk = job.dk, dv = job.dv, dv16 = dv - dv % 16;
  int64_t d = 0;
  for (; d + 16 <= dk; d += 16)
    _mm512_storeu_ps(q16.data() + d, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_loadu_ps(q + d), kRound)));
  for (; d < dk; ++d) q16[static_cast<size_t>(d)] = fp16_to_fp32(fp32_to_fp16(q[d]));
  std::fill(acc.begin(), acc.end(), uint16_t{0});
  float running_max = -INFINITY, running_sum = 0.0f;
  for (int64_t j = 0; j < job.n_keys[r]; ++j) {
    const float s = dot_f16(job.k + j * job.k_stride, q16.data(), dk) * job.scale;
    float rescale = 1.0f, weight = 1.0f;
    if (s > running_max) {
      rescale = std::exp(running_max - s);
      running_max = s;
      const __m512 m = _mm512_set1_ps(rescale);
      for (d = 0; d < dv16; d += 16) store_f16(acc.data() + d, _mm512_mul_ps(load_f16(acc.data() + d), m));
      for (; d < dv; ++d) acc[static_cast<size_t>(d)] = fp32_to_fp16(fp16_to_fp32(acc[static_cast<size_t>(d)]) * rescale);
    } else {
      weight = std::exp(s - running_max);
    }
    const uint16_t* v = job.v + j * job.v_stride;
    const __m512 w = _mm512_set1_ps(weight);
    for (d = 0; d < dv16; d += 16)
      store_f16(acc.data() + d, _mm512_fmadd_ps(load_f16(v + d), w, load_f16(acc.data() + d)));
    for (; d < dv; ++d)
      acc[static_cast<size_t>(d)] = fp32_to_fp16(std::fma(fp16_to_fp32(v[d]), weight, fp16_to_fp32(acc[static_cast<size_t>(d)])));
    running_sum = std::fma(running_sum, rescale, weight);
  }
  const float inv = running_sum == 0.0f ? 0.0f : 1.0f / running_sum;
  float* out = job.out + r * job.out_stride;
  for (d = 0; d < dv; ++d) out[d] = fp16_to_fp32(acc[static_cast<size_t>(d)]) * inv;
}

// Up to 16 query rows at once: scores are computed with the rows in the 16 lanes (one
// sequential FMA chain per lane, as ggml's tile GEMM does per element), the softmax and the
// V update then run row by row, vectorized over keys and over dv.
void attend_tiled_block(const AttnF16Job& job) {
  const int64_t R = job.n_q, dk = job.dk, dv = job.dv, dv16 = dv - dv % 16;
  constexpr int64_t kTile = kAttnKeyTile;
  std::vector<float> qt(static_cast<size_t>(dk * 16), 0.0f);  // [d][row]
  for (int64_t r = 0; r < R; ++r)
    for (int64_t d = 0; d < dk; ++d) qt[static_cast<size_t>(d * 16 + r)] = job.q[r * job.q_stride + d];
  std::vector<float> acc(static_cast<size_t>(R * dv), 0.0f), vt(static_cast<size_t>(kTile * dv));
  alignas(64) float kq[kTile][16];
  alignas(64) float p[kTile];
  float running_max[16], running_sum[16];
  std::fill(running_max, running_max + 16, -INFINITY);
  std::fill(running_sum, running_sum + 16, 0.0f);
  int64_t max_keys = 0;
  for (int64_t r = 0; r < R; ++r) max_keys = std::max(max_keys, job.n_keys[r]);
  __m512i lane_keys = _mm512_setzero_si512();
  {
    alignas(64) int32_t nk[16] = {};
    for (int64_t r = 0; r < R; ++r) nk[r] = static_cast<int32_t>(job.n_keys[r]);
    lane_keys = _mm512_load_si512(nk);
  }
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  for (int64_t tile = 0; tile < max_keys; tile += kTile) {
    const int64_t n_in_tile = std::min(kTile, max_keys - tile);
    for (int64_t t = 0; t < kTile; ++t) {
      if (t >= n_in_tile) {
        _mm512_store_ps(kq[t], neg_inf);
        continue;
      }
      const uint16_t* k = job.k + (tile + t) * job.k_stride;
      __m512 dot = _mm512_setzero_ps();
      for (int64_t d = 0; d < dk; ++d)
        dot = _mm512_fmadd_ps(_mm512_set1_ps(fp16_to_fp32(k[d])), _mm512_loadu_ps(qt.data() + d * 16), dot);
      const __mmask16 visible = _mm512_cmpgt_epi32_mask(lane_keys, _mm512_set1_epi32(static_cast<int32_t>(tile + t)));
      _mm512_store_ps(kq[t], _mm512_mask_blend_ps(visible, neg_inf, _mm512_mul_ps(dot, _mm512_set1_ps(job.scale))));
    }
    for (int64_t t = 0; t < n_in_tile; ++t) {
      const uint16_t* v = job.v + (tile + t) * job.v_stride;
      int64_t d = 0;
      for (; d < dv16; d += 16) _mm512_storeu_ps(vt.data() + t * dv + d, load_f16(v + d));
      for (; d < dv; ++d) vt[static_cast<size_t>(t * dv + d)] = fp16_to_fp32(v[d]);
    }
    for (int64_t r = 0; r < R; ++r) {
      float tile_max = -INFINITY;
      for (int64_t t = 0; t < kTile; ++t) {
        p[t] = kq[t][r];
        tile_max = std::max(tile_max, p[t]);
      }
      if (tile_max == -INFINITY) continue;
      float* a = acc.data() + r * dv;
      const float new_max = std::max(running_max[r], tile_max);
      if (new_max > running_max[r]) {
        const float rescale = std::exp(running_max[r] - new_max);
        const __m512 m = _mm512_set1_ps(rescale);
        int64_t d = 0;
        for (; d < dv16; d += 16) _mm512_storeu_ps(a + d, _mm512_mul_ps(_mm512_loadu_ps(a + d), m));
        for (; d < dv; ++d) a[d] *= rescale;
        running_sum[r] *= rescale;
      }
      running_max[r] = new_max;
      double tile_sum = 0.0;
      const __m512 mx = _mm512_set1_ps(new_max);
      for (int64_t c = 0; c < kTile; c += 16) {
        const __m512 e = simd_expf(_mm512_sub_ps(_mm512_load_ps(p + c), mx));
        _mm512_store_ps(p + c, e);
        tile_sum += static_cast<double>(_mm512_reduce_add_ps(e));
      }
      running_sum[r] = static_cast<float>(static_cast<double>(running_sum[r]) + tile_sum);
      const int64_t n_row = std::min(kTile, job.n_keys[r] - tile);
      int64_t d = 0;
      for (; d < dv16; d += 16) {
        __m512 s = _mm512_loadu_ps(a + d);
        for (int64_t t = 0; t < n_row; ++t) s = _mm512_fmadd_ps(_mm512_loadu_ps(vt.data() + t * dv + d), _mm512_set1_ps(p[t]), s);
        _mm512_storeu_ps(a + d, s);
      }
      for (; d < dv; ++d)
        for (int64_t t = 0; t < n_row; ++t) a[d] = std::fma(vt[static_cast<size_t>(t * dv + d)], p[t], a[d]);
    }
  }
  for (int64_t r = 0; r < R; ++r) {
    const float inv = running_sum[r] == 0.0f ? 0.0f : 1.0f / running_sum[r];
    float* out = job.out + r * job.out_stride;
    for (int64_t d = 0; d < dv; ++d) out[d] = acc[static_cast<size_t>(r * dv + d)] * inv;
  }
}

}  // namespace

void attend_f16(const AttnF16Job& job) {
  if (job.tiled) {
    for (int64_t r0 = 0; r0 < job.n_q; r0 += 16) {
      AttnF16Job block = job;
      block.q = job.q + r0 * job.q_stride;
      block.n_q = std::min<int64_t>(16, job.n_q - r0);
      block.n_keys = job.n_keys + r0;
      block.out = job.out + r0 * job.out_stride;
      attend_tiled_block(block);
    }
    return;
  }
  std::vector<float> q16(static_cast<size_t>(job.dk));
  std::vector<uint16_t> acc(static_cast<size_t>(job.dv));
  for (int64_t r = 0; r < job.n_q; ++r) attend_online_row(job, r, q16, acc);
}

}  // namespace hearth::kernels::avx512

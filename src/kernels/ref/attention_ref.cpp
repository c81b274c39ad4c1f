// Scalar reference for attention over an F16 cache with llama.cpp's flash-attention numerics.
// Every rounding step of ggml's AVX-512 code is spelled out (lane layout of its dot product and
// horizontal sums included), so the SIMD version must match this bit for bit.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "kernels/ref/ref.h"

namespace hearth::kernels::ref {
namespace {

float round_f16(float x) { return fp16_to_fp32(fp32_to_fp16(x)); }

// _mm512_reduce_add_ps: halves added pairwise (8, then 4 lanes), then (0+2) + (1+3).
float reduce16(const float* a) {
  float t[8], u[4];
  for (int i = 0; i < 8; ++i) t[i] = a[i + 8] + a[i];
  for (int i = 0; i < 4; ++i) u[i] = t[i + 4] + t[i];
  return (u[0] + u[2]) + (u[1] + u[3]);
}

// ggml_vec_dot_f16: four 16-lane FMA accumulators over steps of 64, combined (0+2) + (1+3),
// then reduced; a tail (n % 64) is added in double.
float dot_f16_ggml(const uint16_t* k, const float* q16, int64_t n) {
  float acc[4][16] = {};
  const int64_t n64 = n - n % 64;
  for (int64_t i = 0; i < n64; i += 64)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 16; ++l) {
        const int64_t e = i + 16 * j + l;
        acc[j][l] = std::fma(fp16_to_fp32(k[e]), q16[e], acc[j][l]);
      }
  float lanes[16];
  for (int l = 0; l < 16; ++l) lanes[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  double sum = reduce16(lanes);
  for (int64_t e = n64; e < n; ++e) sum += static_cast<double>(fp16_to_fp32(k[e]) * q16[e]);
  return static_cast<float>(sum);
}

void attend_online_row(const AttnF16Job& job, int64_t r) {
  const float* q = job.q + r * job.q_stride;
  std::vector<float> q16(static_cast<size_t>(job.dk)), acc(static_cast<size_t>(job.dv), 0.0f);
  for (int64_t d = 0; d < job.dk; ++d) q16[static_cast<size_t>(d)] = round_f16(q[d]);
  float running_max = -INFINITY, running_sum = 0.0f;
  for (int64_t j = 0; j < job.n_keys[r]; ++j) {
    const float s = dot_f16_ggml(job.k + j * job.k_stride, q16.data(), job.dk) * job.scale;
    float rescale = 1.0f, weight = 1.0f;
    if (s > running_max) {
      rescale = std::exp(running_max - s);
      running_max = s;
      for (auto& a : acc) a = round_f16(a * rescale);
    } else {
      weight = std::exp(s - running_max);
    }
    const uint16_t* v = job.v + j * job.v_stride;
    for (int64_t d = 0; d < job.dv; ++d) {
      float& a = acc[static_cast<size_t>(d)];
      a = round_f16(std::fma(fp16_to_fp32(v[d]), weight, a));
    }
    running_sum = std::fma(running_sum, rescale, weight);
  }
  const float inv = running_sum == 0.0f ? 0.0f : 1.0f / running_sum;
  float* out = job.out + r * job.out_stride;
  for (int64_t d = 0; d < job.dv; ++d) out[d] = acc[static_cast<size_t>(d)] * inv;
}

void attend_tiled_row(const AttnF16Job& job, int64_t r) {
  const float* q = job.q + r * job.q_stride;
  const int64_t n_keys = job.n_keys[r];
  std::vector<float> acc(static_cast<size_t>(job.dv), 0.0f);
  std::array<float, kAttnKeyTile> p{};
  float running_max = -INFINITY, running_sum = 0.0f;
  for (int64_t tile = 0; tile < n_keys; tile += kAttnKeyTile) {
    float tile_max = -INFINITY;
    for (int64_t t = 0; t < kAttnKeyTile; ++t) {
      const int64_t j = tile + t;
      float s = -INFINITY;
      if (j < n_keys) {
        const uint16_t* k = job.k + j * job.k_stride;
        float dot = 0.0f;
        for (int64_t d = 0; d < job.dk; ++d) dot = std::fma(fp16_to_fp32(k[d]), q[d], dot);
        s = dot * job.scale;
      }
      p[static_cast<size_t>(t)] = s;
      tile_max = std::max(tile_max, s);
    }
    const float new_max = std::max(running_max, tile_max);
    if (new_max > running_max) {
      const float rescale = std::exp(running_max - new_max);
      for (auto& a : acc) a *= rescale;
      running_sum *= rescale;
    }
    running_max = new_max;
    double tile_sum = 0.0;
    for (int64_t c = 0; c < kAttnKeyTile; c += 16) {
      for (int64_t l = 0; l < 16; ++l) p[static_cast<size_t>(c + l)] = ggml_simd_expf(p[static_cast<size_t>(c + l)] - new_max);
      tile_sum += static_cast<double>(reduce16(p.data() + c));
    }
    running_sum = static_cast<float>(static_cast<double>(running_sum) + tile_sum);
    for (int64_t t = 0; t < kAttnKeyTile && tile + t < n_keys; ++t) {
      const uint16_t* v = job.v + (tile + t) * job.v_stride;
      for (int64_t d = 0; d < job.dv; ++d)
        acc[static_cast<size_t>(d)] = std::fma(fp16_to_fp32(v[d]), p[static_cast<size_t>(t)], acc[static_cast<size_t>(d)]);
    }
  }
  const float inv = running_sum == 0.0f ? 0.0f : 1.0f / running_sum;
  float* out = job.out + r * job.out_stride;
  for (int64_t d = 0; d < job.dv; ++d) out[d] = acc[static_cast<size_t>(d)] * inv;
}

}  // namespace

float ggml_simd_expf(float x) {
  const float shifter = 0x1.8p23f;
  const float n = std::fma(x, 0x1.715476p+0f, shifter) - shifter;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::isnan(n)) return n;
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
  return std::ldexp(j, static_cast<int>(n));
}

void attend_f16(const AttnF16Job& job) {
  for (int64_t r = 0; r < job.n_q; ++r) {
    if (job.tiled)
      attend_tiled_row(job, r);
    else
      attend_online_row(job, r);
  }
}

}  // namespace hearth::kernels::ref

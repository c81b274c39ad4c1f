#pragma once
// Attention over an F16 KV cache, computed with the numerics of llama.cpp's CPU flash attention
// (its default path for an F16 cache), so that hearth reproduces llama.cpp's logits to ~1e-3 on
// quantized models, where 8-bit activation quantization turns tiny differences into visible ones.
//
// llama.cpp switches between two algorithms by the number of query rows in the micro-batch:
//  - online (fewer than kAttnTiledMinRows rows, and every single-token decode step): the query is
//    rounded to F16, each score is an F16 dot product (exact products, F32 sums in a fixed 4x16
//    lane order), the softmax is online with libm expf, and the weighted sum of V is kept in F16,
//    rounded after every key;
//  - tiled (kAttnTiledMinRows rows or more): keys in tiles of 64, F32 query, scores as sequential
//    FMA chains, a per-tile softmax with a polynomial exp, and an F32 accumulator.
// The caller picks the algorithm per sequence from how many of that sequence's rows the batch
// holds, so one sequence's results never depend on what else shares its batch.
#include <cstdint>

namespace hearth::kernels {

inline constexpr int64_t kAttnTiledMinRows = 64;
inline constexpr int64_t kAttnKeyTile = 64;

// n_q query rows of one head. Row r attends to keys 0..n_keys[r]-1 (its causal prefix); key j of
// this head is at k + j * k_stride (V: v + j * v_stride). Output row r: out + r * out_stride, dv floats.
struct AttnF16Job {
  const float* q = nullptr;
  int64_t q_stride = 0;
  int64_t n_q = 0;
  const int64_t* n_keys = nullptr;
  const uint16_t* k = nullptr;
  const uint16_t* v = nullptr;
  int64_t k_stride = 0, v_stride = 0;
  int64_t dk = 0, dv = 0;
  float scale = 1.0f;
  float* out = nullptr;
  int64_t out_stride = 0;
  bool tiled = false;
};

}  // namespace hearth::kernels

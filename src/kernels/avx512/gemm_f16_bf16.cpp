// AVX512_BF16 prompt-processing tile for F16 weights against F16 activations.
//
// F32 FMA on widened F16 does 16 multiply-adds per instruction; vdpbf16ps does 32 (pairs of
// bf16 products added into an fp32 lane) at a higher issue rate. Both operands are therefore
// rounded to bf16 (round to nearest even) here, a deliberate precision-for-speed trade: a
// product's relative error grows from ~2^-11 (F16 activation) to ~2^-8, while accumulation
// stays in fp32. The table registers it as F16's large-batch tile only (table_avx512.cpp).
//
// Layout: a panel holds 16 weight rows converted to bf16 and interleaved by k pairs: zmm j
// lane r = (w[r][2j], w[r][2j+1]) (16 x 16 dword transpose per 32 k). Activations become
// plain bf16 rows, so dword j of a row is the pair (a[t][2j], a[t][2j+1]). One vdpbf16ps of a
// panel zmm with that dword broadcast advances 16 row sums of one token: results land in
// lanes = rows and are stored without horizontal sums. The register tile is 4 panels (64
// rows) x 6 tokens. k is zero-padded to a multiple of 32 in both packings (zero weights and
// zero activations: tails add nothing, and padding bytes of the inputs are never read).
// Packing is per call: each weight row is converted once for all nc tokens, each activation
// row once for all nr rows.
#include "kernels/simd.h"

#include <algorithm>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"

namespace hearth::kernels::avx512 {
namespace {

constexpr int kLanes = 16;   // weight rows per panel
constexpr int kPanels = 4;   // panels per register tile (64 rows)
constexpr int kTokens = 6;   // tokens per register tile: kPanels * kTokens = 24 accumulators
// k is processed in chunks so that a chunk of kPanels panels (kPanels * 16 * kChunk * 2 bytes)
// and the tokens' activations for it stay in L2 while every token block passes over them.
constexpr int64_t kChunk = 1024;

__mmask32 tail32(int64_t left) { return left >= 32 ? 0xFFFFFFFFu : static_cast<__mmask32>((1u << left) - 1); }

// 32 F16 values (masked, missing ones zero) as 32 bf16 values in order.
__m512i f16x32_to_bf16(const uint16_t* p, __mmask32 m) {
  const __m512i h = _mm512_maskz_loadu_epi16(m, p);
  const __m512 lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
  const __m512 hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
  return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

// Rows [0, nr) of a panel (rows nr..15 zero), n elements per row: kp / 2 zmm (kp = n padded to 32).
void pack_panel(const uint8_t* w, size_t w_stride, int nr, int64_t n, __m512i* out) {
  for (int64_t k0 = 0; k0 < n; k0 += 32) {
    const __mmask32 m = tail32(n - k0);
    __m512i v[kLanes];
    for (int r = 0; r < kLanes; ++r)
      v[r] = r < nr ? f16x32_to_bf16(reinterpret_cast<const uint16_t*>(w + r * w_stride) + k0, m)
                    : _mm512_setzero_si512();
    transpose16x16_epi32(v, v);
    for (int p = 0; p < kLanes; ++p) _mm512_store_si512(out + k0 / 2 + p, v[p]);
  }
}

// Tokens [0, nc) as bf16 rows of kp elements (kp = n padded to 32 with zeros), kp / 2 dwords apart.
void pack_activations(const uint8_t* act, size_t act_stride, int nc, int64_t n, uint32_t* out) {
  const int64_t pairs = (n + 31) / 32 * 16;
  for (int t = 0; t < nc; ++t) {
    const auto* a = reinterpret_cast<const uint16_t*>(act + t * act_stride);
    uint32_t* dst = out + t * pairs;
    for (int64_t k0 = 0; k0 < n; k0 += 32) _mm512_store_si512(dst + k0 / 2, f16x32_to_bf16(a + k0, tail32(n - k0)));
  }
}

// Tile arguments: RR panels of `pairs` zmm each (consecutive), CC activation rows of
// `a_stride` dwords starting at `a`; `accumulate`: add to `out` (a later k chunk) instead of
// overwriting it.
struct TileArgs {
  const __m512i* panel;
  int64_t pairs;
  const uint32_t* a;
  int64_t a_stride;
  float* out;
  int64_t ldo;
  const __mmask16* row_mask;
  bool accumulate;
};

// RR panels x CC tokens: out[t * ldo + 16 p + r] for the rows of `row_mask[p]`.
struct BfTile {
  template <int RR, int CC>
  static void run(const TileArgs& g) {
    const uint32_t* at[CC];
    for (int t = 0; t < CC; ++t) at[t] = g.a + t * g.a_stride;
    __m512 acc[RR][CC];
    for (int t = 0; t < CC; ++t)
      for (int p = 0; p < RR; ++p)
        acc[p][t] = g.accumulate ? _mm512_maskz_loadu_ps(g.row_mask[p], g.out + t * g.ldo + p * kLanes)
                                 : _mm512_setzero_ps();
    const __m512i* panel = g.panel;
    const int64_t pairs = g.pairs;
    for (int64_t j = 0; j < pairs; ++j) {
      __m512bh w[RR];
      for (int p = 0; p < RR; ++p) w[p] = (__m512bh)_mm512_load_si512(panel + p * pairs + j);
      for (int t = 0; t < CC; ++t) {
        const __m512bh x = (__m512bh)_mm512_set1_epi32(static_cast<int>(at[t][j]));
        for (int p = 0; p < RR; ++p) acc[p][t] = _mm512_dpbf16_ps(acc[p][t], w[p], x);
      }
    }
    for (int t = 0; t < CC; ++t)
      for (int p = 0; p < RR; ++p) _mm512_mask_storeu_ps(g.out + t * g.ldo + p * kLanes, g.row_mask[p], acc[p][t]);
  }
};

void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t a_pairs = (n + 31) / 32 * 16;
  const int64_t chunk = std::min<int64_t>(n, kChunk);
  const int64_t chunk_pairs = (chunk + 31) / 32 * 16;
  // One scratch: kPanels packed panels of one k chunk, then all activation rows.
  const size_t panel_zmm = static_cast<size_t>(kPanels * chunk_pairs);
  __m512i* buf = scratch<__m512i>(panel_zmm + static_cast<size_t>(nc * a_pairs / 16));
  __m512i* panels = buf;
  auto* a = reinterpret_cast<uint32_t*>(buf + panel_zmm);
  pack_activations(static_cast<const uint8_t*>(act), act_stride, nc, n, a);
  const auto* wb = static_cast<const uint8_t*>(w);
  for (int r0 = 0; r0 < nr; r0 += kLanes * kPanels) {
    const int np = std::min(kPanels, (nr - r0 + kLanes - 1) / kLanes);
    __mmask16 masks[kPanels];
    for (int p = 0; p < np; ++p) masks[p] = static_cast<__mmask16>((1u << std::min(kLanes, nr - r0 - p * kLanes)) - 1);
    for (int64_t k0 = 0; k0 < n; k0 += kChunk) {
      const int64_t kn = std::min(kChunk, n - k0);
      const int64_t pairs = (kn + 31) / 32 * 16;
      for (int p = 0; p < np; ++p) {
        const int rows = std::min(kLanes, nr - r0 - p * kLanes);
        pack_panel(wb + (r0 + p * kLanes) * w_stride + k0 * 2, w_stride, rows, kn, panels + p * pairs);
      }
      for (int t0 = 0; t0 < nc; t0 += kTokens) {
        const TileArgs g{panels, pairs, a + t0 * a_pairs + k0 / 2, a_pairs, out + t0 * ldo + r0, ldo, masks, k0 > 0};
        TileDispatch<BfTile, kPanels, kTokens>::call(np, std::min(kTokens, nc - t0), g);
      }
    }
  }
}

}  // namespace

Gemm gemm_f16_bf16() { return gemm; }

}  // namespace hearth::kernels::avx512

// AVX-512 VNNI prompt-processing tile for the signed 32-element block types (Q4_0, Q5_0, Q8_0,
// IQ4_NL) against Q8_0 activations.
//
// Layout: 16 weight rows are decoded once per call into row-interleaved form: for every block
// and every group g of 4 codes, one zmm holds codes 4g..4g+3 of all 16 rows (lane r = row r).
// One vpdpbusd with the 4 matching activation bytes broadcast then advances 16 row dot
// products at once, so a block costs 8 vpdpbusd per 16 rows and token, and the float work
// (convert, scale, accumulate) is one instruction per 16 rows instead of one per row.
//
// vpdpbusd multiplies unsigned by signed bytes: the activations are biased to a + 128 (xor
// 0x80, in a per-call scratch copy) and each row's block sum starts at -128 * sum(codes),
// which removes the bias exactly. All integer sums are exact; per block the float result is
// fmadd(float(sumi), d_w * d_a, acc) in block order.
#include "kernels/simd.h"

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

constexpr int kRows = 16;   // rows per interleaved panel (zmm lanes)
constexpr int kCols = 8;    // tokens per register tile
constexpr int kPanels = 4;  // panels decoded per call: gemm_rows = 64

// One block of 16 interleaved rows.
struct alignas(64) Panel {
  __m512i q[8];   // q[g] lane r: codes 4g..4g+3 of row r
  __m512i corr;   // -128 * sum of row r's codes
  __m512 d;       // row scales
};

__m256i nibbles(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}

// Signed codes of one block in element order, and its scale.
__m256i codes(const BlockQ4_0& b) { return _mm256_sub_epi8(nibbles(b.qs), _mm256_set1_epi8(8)); }
__m256i codes(const BlockQ5_0& b) {
  uint32_t h;
  std::memcpy(&h, b.qh, 4);
  const __m256i q = nibbles(b.qs);
  return _mm256_sub_epi8(_mm256_mask_add_epi8(q, h, q, _mm256_set1_epi8(16)), _mm256_set1_epi8(16));
}
__m256i codes(const BlockQ8_0& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }
__m256i codes(const BlockIQ4_NL& b) {
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kValuesIq4nl)));
  return _mm256_shuffle_epi8(table, nibbles(b.qs));
}

// Decodes rows [0, nr) of a panel (missing rows are zero) for blocks [0, nb).
template <typename B>
void decode_panel(const uint8_t* w, size_t w_stride, int nr, int64_t nb, Panel* out) {
  alignas(64) int8_t tmp[kRows][32];
  alignas(64) uint16_t dh[kRows];
  std::memset(tmp, 0, sizeof tmp);
  std::memset(dh, 0, sizeof dh);
  const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32(32));
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < nr; ++r) {
      const B& blk = reinterpret_cast<const B*>(w + r * w_stride)[b];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp[r]), codes(blk));
      dh[r] = blk.d;
    }
    Panel& p = out[b];
    __m512i sum = _mm512_setzero_si512();
    for (int g = 0; g < 8; ++g) {
      p.q[g] = _mm512_i32gather_epi32(_mm512_add_epi32(idx, _mm512_set1_epi32(4 * g)), tmp, 1);
      sum = _mm512_dpbusd_epi32(sum, bias, p.q[g]);
    }
    p.corr = _mm512_sub_epi32(_mm512_setzero_si512(), sum);
    p.d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh)));
  }
}

// Biased activation codes (nb * 32 bytes per token) and their scales (nb floats per token).
struct ActScratch {
  const uint8_t* q;
  const float* d;
  int64_t nb;
};

ActScratch bias_activations(const uint8_t* act, size_t act_stride, int nc, int64_t nb) {
  const size_t per_token = static_cast<size_t>(nb) * 32;
  uint8_t* q = scratch<uint8_t>(per_token * static_cast<size_t>(nc) + static_cast<size_t>(nb * nc) * sizeof(float) + 64);
  auto* d = reinterpret_cast<float*>(q + per_token * static_cast<size_t>(nc));
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int t = 0; t < nc; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_0*>(act + t * act_stride);
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + t * per_token + b * 32), _mm256_xor_si256(v, bias));
      d[t * nb + b] = _cvtsh_ss(a[b].d);
    }
  }
  return {q, d, nb};
}

__m512i bcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// 16 rows x CC tokens: acc[t] lane r = dot(row r, token t).
struct PanelTile {
  template <int CC>
  static void run(const Panel* panel, const ActScratch& a, int t0, float* out, int64_t ldo, __mmask16 row_mask) {
    __m512 acc[CC];
    for (int t = 0; t < CC; ++t) acc[t] = _mm512_setzero_ps();
    const size_t per_token = static_cast<size_t>(a.nb) * 32;
    for (int64_t b = 0; b < a.nb; ++b) {
      const Panel& p = panel[b];
      for (int t = 0; t < CC; ++t) {
        const uint8_t* q = a.q + (t0 + t) * per_token + b * 32;
        __m512i s = p.corr;
        for (int g = 0; g < 8; ++g) s = _mm512_dpbusd_epi32(s, bcast4(q + 4 * g), p.q[g]);
        const __m512 scale = _mm512_mul_ps(p.d, _mm512_set1_ps(a.d[(t0 + t) * a.nb + b]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[t]);
      }
    }
    for (int t = 0; t < CC; ++t) _mm512_mask_storeu_ps(out + t * ldo, row_mask, acc[t]);
  }
};

template <int CC = kCols>
void run_cols(int cc, const Panel* panel, const ActScratch& a, int t0, float* out, int64_t ldo, __mmask16 m) {
  if constexpr (CC == 1) {
    PanelTile::run<1>(panel, a, t0, out, ldo, m);
  } else {
    if (cc == CC) return PanelTile::run<CC>(panel, a, t0, out, ldo, m);
    run_cols<CC - 1>(cc, panel, a, t0, out, ldo, m);
  }
}

template <typename B>
void gemm(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride, float* out,
          int64_t ldo) {
  const int64_t nb = n / 32;
  const ActScratch a = bias_activations(static_cast<const uint8_t*>(act), act_stride, nc, nb);
  const auto* wb = static_cast<const uint8_t*>(w);
  // Own scratch for the panels (the activation scratch above is a different element type).
  Panel* panels = scratch<Panel>(static_cast<size_t>(kPanels * nb));
  for (int r0 = 0; r0 < nr; r0 += kRows * kPanels) {
    const int np = std::min(kPanels, (nr - r0 + kRows - 1) / kRows);
    for (int p = 0; p < np; ++p) {
      const int rows = std::min(kRows, nr - r0 - p * kRows);
      decode_panel<B>(wb + (r0 + p * kRows) * w_stride, w_stride, rows, nb, panels + p * nb);
    }
    for (int p = 0; p < np; ++p) {
      const int rows = std::min(kRows, nr - r0 - p * kRows);
      const __mmask16 m = static_cast<__mmask16>((1u << rows) - 1);
      for (int t0 = 0; t0 < nc; t0 += kCols)
        run_cols(std::min(kCols, nc - t0), panels + p * nb, a, t0, out + t0 * ldo + r0 + p * kRows, ldo, m);
    }
  }
}

}  // namespace

Gemm gemm_q4_0() { return gemm<BlockQ4_0>; }
Gemm gemm_q5_0() { return gemm<BlockQ5_0>; }
Gemm gemm_q8_0() { return gemm<BlockQ8_0>; }
Gemm gemm_iq4_nl() { return gemm<BlockIQ4_NL>; }

}  // namespace hearth::kernels::avx512

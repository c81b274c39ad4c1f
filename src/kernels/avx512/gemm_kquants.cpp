// AVX-512 VNNI prompt-processing tiles for Q4_K and Q6_K against Q8_K activations.
//
// Layout (as gemm_legacy.cpp): 16 weight rows are decoded once per call into row-interleaved
// form, one panel per super-block: for every group g of 4 codes, one zmm holds codes
// 4g..4g+3 of all 16 rows (lane r = row r). One vpdpbusd (unsigned codes x signed activation
// bytes, broadcast) then advances 16 row sums at once; no bias is needed because the Q4_K
// codes are unsigned.
//
// Scales: the 4 vpdpbusd of a 16-element half sub-block give |S| <= 16 * 15 * 128 < 2^15 per
// lane, so S is an int16 held in an int32 lane, and vpdpwssd(I, S, scale) (the scale in the
// low 16 bits, zero above) adds scale * S exactly. The mins go through the activation sums of
// each 32-element sub-block (|B| <= 4096) with one vpdpwssd per sub-block pair. Per
// super-block and token: acc += float(I) * d * dy - float(M) * dmin * dy; all integer sums
// are exact.
//
// Q6_K: codes are stored unsigned (0..63, value + 32); a 16-element sub-block sum reaches
// 16 * 63 * 128 > 2^15, so its signed 8-bit scale is applied with vpmulld. The offset is
// removed exactly per super-block: I -= 32 * sum_j scale_j * bsums_j (vpdpwssd on scale pairs
// against the Q8_K bsums pairs, which lie adjacent in memory).
#include "kernels/simd.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using namespace hearth::tensor;

constexpr int kRows = 16;   // rows per interleaved panel (zmm lanes)
constexpr int kCols = 8;    // tokens per register tile
constexpr int kPanels = 4;  // panels decoded per call: gemm_rows = 64

// One super-block of 16 interleaved Q4_K rows.
struct alignas(64) Q4KPanel {
  __m512i q[64];    // q[g] lane r: codes 4g..4g+3 of row r
  __m512i sc[8];    // lane r: 6-bit scale of sub-block j (int16 in the low half)
  __m512i mins[4];  // lane r: mins of sub-blocks 2k (low int16) and 2k+1 (high int16)
  __m512 d, dmin;
};

// codes[r][4g..4g+3] -> lane r of q[g]: four 16x16 dword transposes in registers (unpack
// 32/64-bit, then two 128-bit lane shuffles; 64 shuffles per 16 outputs, far cheaper than
// one gather per output).
void interleave(const uint8_t (&codes)[kRows][kQK_K], __m512i* q) {
  for (int blk = 0; blk < kQK_K / 64; ++blk) {
    __m512i r[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_load_si512(codes[i] + 64 * blk);
    transpose16x16_epi32(r, q + 16 * blk);  // q[16 blk + c] lane i: dword c of row i
  }
}

// Decodes rows [0, nr) of a panel (missing rows are zero) for super-blocks [0, nsb).
void decode_panel(const uint8_t* w, size_t w_stride, int nr, int64_t nsb, Q4KPanel* out) {
  alignas(64) uint8_t codes[kRows][kQK_K];
  alignas(64) int32_t sc[8][kRows];
  alignas(64) int32_t mins[4][kRows];
  alignas(32) uint16_t dh[kRows], mh[kRows];
  std::memset(codes, 0, sizeof codes);
  std::memset(sc, 0, sizeof sc);
  std::memset(mins, 0, sizeof mins);
  std::memset(dh, 0, sizeof dh);
  std::memset(mh, 0, sizeof mh);
  const __m512i nib_shift =
      _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(0), _mm512_set1_epi16(4));  // upper 256 bits: high nibbles
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int64_t i = 0; i < nsb; ++i) {
    for (int r = 0; r < nr; ++r) {
      const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(w + r * w_stride)[i];
      for (int c = 0; c < 4; ++c) {
        const __m512i v =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c)));
        _mm512_store_si512(codes[r] + 64 * c, _mm512_and_si512(_mm512_srlv_epi16(v, nib_shift), low4));
      }
      uint64_t s8, m8;
      unpack_scales_mins_k4(b.scales, &s8, &m8);
      uint8_t s[8], m[8];
      std::memcpy(s, &s8, 8);
      std::memcpy(m, &m8, 8);
      for (int j = 0; j < 8; ++j) sc[j][r] = s[j];
      for (int k = 0; k < 4; ++k) mins[k][r] = m[2 * k] | (m[2 * k + 1] << 16);
      std::memcpy(&dh[r], &b.d, 2);
      std::memcpy(&mh[r], &b.dmin, 2);
    }
    Q4KPanel& p = out[i];
    interleave(codes, p.q);
    for (int j = 0; j < 8; ++j) p.sc[j] = _mm512_load_si512(sc[j]);
    for (int k = 0; k < 4; ++k) p.mins[k] = _mm512_load_si512(mins[k]);
    p.d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh)));
    p.dmin = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(mh)));
  }
}

// One super-block of 16 interleaved Q6_K rows.
struct alignas(64) Q6KPanel {
  __m512i q[64];   // q[g] lane r: unsigned codes (value + 32) 4g..4g+3 of row r
  __m512i sc[16];  // lane r: scale of 16-element sub-block j (int32)
  __m512i scp[8];  // lane r: scales of sub-blocks 2k (low int16) and 2k+1 (high int16)
  __m512 d;
};

void decode_panel(const uint8_t* w, size_t w_stride, int nr, int64_t nsb, Q6KPanel* out) {
  alignas(64) uint8_t codes[kRows][kQK_K];
  alignas(64) int32_t sc[16][kRows];
  alignas(64) int32_t scp[8][kRows];
  alignas(32) uint16_t dh[kRows];
  std::memset(codes, 0, sizeof codes);
  std::memset(sc, 0, sizeof sc);
  std::memset(scp, 0, sizeof scp);
  std::memset(dh, 0, sizeof dh);
  const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
  // High 2 bits of element group g (0..3) sit at bits 2g of qh; move them to bits 4..5.
  const __m512i up_g01 = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
  const __m512i down_g23 = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(0), _mm512_set1_epi16(2));
  for (int64_t i = 0; i < nsb; ++i) {
    for (int r = 0; r < nr; ++r) {
      const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(w + r * w_stride)[i];
      for (int h = 0; h < 2; ++h) {
        const __m512i l = _mm512_loadu_si512(b.ql + 64 * h);
        const __m512i qh =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h)));
        const __m512i hi0 = _mm512_and_si512(_mm512_sllv_epi16(qh, up_g01), bits45);
        const __m512i hi1 = _mm512_and_si512(_mm512_srlv_epi16(qh, down_g23), bits45);
        _mm512_store_si512(codes[r] + 128 * h, _mm512_ternarylogic_epi32(l, hi0, low4, 0xEC));
        _mm512_store_si512(codes[r] + 128 * h + 64,
                           _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), hi1, low4, 0xEC));
      }
      for (int j = 0; j < 16; ++j) sc[j][r] = b.scales[j];
      for (int k = 0; k < 8; ++k)
        scp[k][r] = static_cast<int32_t>(static_cast<uint16_t>(b.scales[2 * k]) |
                                         (static_cast<uint32_t>(static_cast<uint16_t>(b.scales[2 * k + 1])) << 16));
      std::memcpy(&dh[r], &b.d, 2);
    }
    Q6KPanel& p = out[i];
    interleave(codes, p.q);
    for (int j = 0; j < 16; ++j) p.sc[j] = _mm512_load_si512(sc[j]);
    for (int k = 0; k < 8; ++k) p.scp[k] = _mm512_load_si512(scp[k]);
    p.d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(dh)));
  }
}

// Per token and super-block: the 8 sub-block activation sums as int16 (bsums pairs).
const int16_t* sub_block_sums(const uint8_t* act, size_t act_stride, int nc, int64_t nsb) {
  int16_t* out = scratch<int16_t>(static_cast<size_t>(nc * nsb * 8));
  for (int t = 0; t < nc; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(act + t * act_stride);
    for (int64_t i = 0; i < nsb; ++i)
      for (int j = 0; j < 8; ++j)
        out[(t * nsb + i) * 8 + j] = static_cast<int16_t>(a[i].bsums[2 * j] + a[i].bsums[2 * j + 1]);
  }
  return out;
}

__m512i bcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

struct Acts {
  const uint8_t* base;  // Q8_K rows
  size_t stride;
  const int16_t* sums;  // sub_block_sums
  int64_t nsb;
};

// 16 rows x CC tokens: acc[t] lane r = dot(row r, token t).
struct Q4KTile {
  template <int CC>
  static void run(const Q4KPanel* panel, const Acts& a, int t0, float* out, int64_t ldo, __mmask16 row_mask) {
    __m512 acc[CC];
    for (int t = 0; t < CC; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < a.nsb; ++i) {
      const Q4KPanel& p = panel[i];
      const BlockQ8_K* blk[CC];
      for (int t = 0; t < CC; ++t) blk[t] = reinterpret_cast<const BlockQ8_K*>(a.base + (t0 + t) * a.stride) + i;
      __m512i isum[CC];
      for (int t = 0; t < CC; ++t) isum[t] = _mm512_setzero_si512();
      for (int h = 0; h < 16; ++h) {  // 16-element halves of the 8 sub-blocks
        const __m512i w0 = p.q[4 * h], w1 = p.q[4 * h + 1], w2 = p.q[4 * h + 2], w3 = p.q[4 * h + 3];
        const __m512i scale = p.sc[h / 2];
        for (int t = 0; t < CC; ++t) {
          const int8_t* q = blk[t]->qs + 16 * h;
          __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, bcast4(q));
          s = _mm512_dpbusd_epi32(s, w1, bcast4(q + 4));
          s = _mm512_dpbusd_epi32(s, w2, bcast4(q + 8));
          s = _mm512_dpbusd_epi32(s, w3, bcast4(q + 12));
          isum[t] = _mm512_dpwssd_epi32(isum[t], s, scale);
        }
      }
      for (int t = 0; t < CC; ++t) {
        const int16_t* bs = a.sums + ((t0 + t) * a.nsb + i) * 8;
        __m512i msum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), p.mins[0], bcast4(bs));
        msum = _mm512_dpwssd_epi32(msum, p.mins[1], bcast4(bs + 2));
        msum = _mm512_dpwssd_epi32(msum, p.mins[2], bcast4(bs + 4));
        msum = _mm512_dpwssd_epi32(msum, p.mins[3], bcast4(bs + 6));
        const __m512 dy = _mm512_set1_ps(blk[t]->d);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(p.d, dy), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(p.dmin, dy), acc[t]);
      }
    }
    for (int t = 0; t < CC; ++t) _mm512_mask_storeu_ps(out + t * ldo, row_mask, acc[t]);
  }
};

struct Q6KTile {
  template <int CC>
  static void run(const Q6KPanel* panel, const Acts& a, int t0, float* out, int64_t ldo, __mmask16 row_mask) {
    __m512 acc[CC];
    for (int t = 0; t < CC; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < a.nsb; ++i) {
      const Q6KPanel& p = panel[i];
      const BlockQ8_K* blk[CC];
      for (int t = 0; t < CC; ++t) blk[t] = reinterpret_cast<const BlockQ8_K*>(a.base + (t0 + t) * a.stride) + i;
      __m512i isum[CC];
      for (int t = 0; t < CC; ++t) isum[t] = _mm512_setzero_si512();
      for (int j = 0; j < 16; ++j) {  // 16-element sub-blocks
        const __m512i w0 = p.q[4 * j], w1 = p.q[4 * j + 1], w2 = p.q[4 * j + 2], w3 = p.q[4 * j + 3];
        const __m512i scale = p.sc[j];
        for (int t = 0; t < CC; ++t) {
          const int8_t* q = blk[t]->qs + 16 * j;
          __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, bcast4(q));
          s = _mm512_dpbusd_epi32(s, w1, bcast4(q + 4));
          s = _mm512_dpbusd_epi32(s, w2, bcast4(q + 8));
          s = _mm512_dpbusd_epi32(s, w3, bcast4(q + 12));
          isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s, scale));
        }
      }
      for (int t = 0; t < CC; ++t) {
        __m512i corr = _mm512_setzero_si512();
        for (int k = 0; k < 8; ++k) corr = _mm512_dpwssd_epi32(corr, p.scp[k], bcast4(blk[t]->bsums + 2 * k));
        const __m512i total = _mm512_sub_epi32(isum[t], _mm512_slli_epi32(corr, 5));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_mul_ps(p.d, _mm512_set1_ps(blk[t]->d)), acc[t]);
      }
    }
    for (int t = 0; t < CC; ++t) _mm512_mask_storeu_ps(out + t * ldo, row_mask, acc[t]);
  }
};

template <typename Tile, typename Panel, int CC = kCols>
void run_cols(int cc, const Panel* panel, const Acts& a, int t0, float* out, int64_t ldo, __mmask16 m) {
  if constexpr (CC == 1) {
    Tile::template run<1>(panel, a, t0, out, ldo, m);
  } else {
    if (cc == CC) return Tile::template run<CC>(panel, a, t0, out, ldo, m);
    run_cols<Tile, Panel, CC - 1>(cc, panel, a, t0, out, ldo, m);
  }
}

template <typename Panel, typename Tile, VecDot kRowDot>
void gemm_vnni(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride,
               float* out, int64_t ldo) {
  const int64_t nsb = n / kQK_K;
  const auto* ab = static_cast<const uint8_t*>(act);
  const auto* wb = static_cast<const uint8_t*>(w);
  if (nc <= 3) {
    // Decoding the panels does not pay for up to 3 tokens (small decode batches): row dots.
    for (int c = 0; c < nc; ++c)
      for (int r = 0; r < nr; ++r) kRowDot(n, out + c * ldo + r, wb + r * w_stride, ab + c * act_stride);
    return;
  }
  // Only Q4_K needs the 32-element activation sums (for its mins).
  const int16_t* sums = std::is_same_v<Panel, Q4KPanel> ? sub_block_sums(ab, act_stride, nc, nsb) : nullptr;
  const Acts a{ab, act_stride, sums, nsb};
  Panel* panels = scratch<Panel>(static_cast<size_t>(kPanels * nsb));
  for (int r0 = 0; r0 < nr; r0 += kRows * kPanels) {
    const int np = std::min(kPanels, (nr - r0 + kRows - 1) / kRows);
    for (int p = 0; p < np; ++p) {
      const int rows = std::min(kRows, nr - r0 - p * kRows);
      decode_panel(wb + (r0 + p * kRows) * w_stride, w_stride, rows, nsb, panels + p * nsb);
    }
    for (int p = 0; p < np; ++p) {
      const int rows = std::min(kRows, nr - r0 - p * kRows);
      const __mmask16 m = static_cast<__mmask16>((1u << rows) - 1);
      for (int t0 = 0; t0 < nc; t0 += kCols)
        run_cols<Tile, Panel>(std::min(kCols, nc - t0), panels + p * nsb, a, t0, out + t0 * ldo + r0 + p * kRows,
                              ldo, m);
    }
  }
}

}  // namespace

Gemm gemm_q4_k() { return gemm_vnni<Q4KPanel, Q4KTile, vec_dot_q4_k>; }
Gemm gemm_q6_k() { return gemm_vnni<Q6KPanel, Q6KTile, vec_dot_q6_k>; }

}  // namespace hearth::kernels::avx512

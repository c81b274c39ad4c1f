// AVX-512 VNNI kernels for Q4_K weights in the packed Q4_Kx16 layout (kernels/packed.h)
// against Q8_K activations.
//
// gemv: lane r of every vector is row r of the group. Per 32-element sub-block, 8 vpdpbusd of
// the unsigned nibble codes against 4-byte broadcasts of the activation give the 16 row sums
// (|sum| <= 32 * 15 * 128 = 61440); they are scaled lane-wise by the 6-bit sub-block scales
// (vpmulld) and summed over the super-block in int32 (|.| <= 8 * 63 * 61440 < 2^25). The mins
// meet the activation's 32-element sums (from Q8_K bsums, |.| <= 4096) the same way
// (|.| <= 8 * 63 * 4096 < 2^22). One float combination per super-block:
// acc += d*da*isum - dmin*da*minsum.
// gemm (prompts): a group's rows are transposed back to the file layout into per-thread
// scratch and handed to the row-interleaved Q4_K prompt tile (gemm_kquants.cpp).
#include "kernels/simd.h"

#include <cstring>
#include <vector>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/tile.h"
#include "kernels/packed.h"
#include "tensor/blocks.h"

namespace hearth::kernels::avx512 {
namespace {

using tensor::BlockQ4_K;
using tensor::BlockQ8_K;

__m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Byte s (0..3) of every lane.
__m512i lane_byte(__m512i v, int s) {
  return _mm512_and_si512(_mm512_srli_epi32(v, static_cast<unsigned>(8 * s)), _mm512_set1_epi32(0xFF));
}

void gemv(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act, float* out) {
  const auto* a = static_cast<const BlockQ8_K*>(act);
  const int64_t nsb = n / 256;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i m6 = _mm512_set1_epi8(0x3F);
  const __m512i hi2 = _mm512_set1_epi8(0x30);
  for (int64_t g = 0; g < n_groups; ++g) {
    const uint8_t* group = w + g * group_stride;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < nsb; ++b) {
      const uint8_t* chunk = group + b * kQ4_Kx16SuperBytes;
      const BlockQ8_K& y = a[b];
      // 6-bit scales / mins of sub-blocks 0..3 (lo) and 4..7 (hi), one per byte of a lane.
      const __m512i s0 = _mm512_load_si512(chunk + 64);
      const __m512i s1 = _mm512_load_si512(chunk + 128);
      const __m512i s2 = _mm512_load_si512(chunk + 192);
      const __m512i sc_lo = _mm512_and_si512(s0, m6);
      const __m512i mn_lo = _mm512_and_si512(s1, m6);
      const __m512i sc_hi =
          _mm512_or_si512(_mm512_and_si512(s2, low4), _mm512_and_si512(_mm512_srli_epi32(s0, 2), hi2));
      const __m512i mn_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(s2, 4), low4),
                                            _mm512_and_si512(_mm512_srli_epi32(s1, 2), hi2));
      __m512i isum = _mm512_setzero_si512(), msum = _mm512_setzero_si512();
      const uint8_t* codes = chunk + 256;
      for (int p = 0; p < 4; ++p) {
        __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
        for (int j = 0; j < 8; ++j) {
          const __m512i v = _mm512_load_si512(codes + 64 * (8 * p + j));
          lo = _mm512_dpbusd_epi32(lo, _mm512_and_si512(v, low4), bcast4(y.qs + 64 * p + 4 * j));
          hi = _mm512_dpbusd_epi32(hi, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4),
                                   bcast4(y.qs + 64 * p + 32 + 4 * j));
        }
        const int s = 2 * p;  // sub-blocks s (low nibbles) and s + 1 (high nibbles)
        const __m512i sc_a = lane_byte(s < 4 ? sc_lo : sc_hi, s % 4);
        const __m512i sc_b = lane_byte(s + 1 < 4 ? sc_lo : sc_hi, (s + 1) % 4);
        const __m512i mn_a = lane_byte(s < 4 ? mn_lo : mn_hi, s % 4);
        const __m512i mn_b = lane_byte(s + 1 < 4 ? mn_lo : mn_hi, (s + 1) % 4);
        isum = _mm512_add_epi32(isum, _mm512_add_epi32(_mm512_mullo_epi32(lo, sc_a), _mm512_mullo_epi32(hi, sc_b)));
        const int32_t as = y.bsums[2 * s] + y.bsums[2 * s + 1];
        const int32_t bs = y.bsums[2 * s + 2] + y.bsums[2 * s + 3];
        msum = _mm512_add_epi32(msum, _mm512_add_epi32(_mm512_mullo_epi32(mn_a, _mm512_set1_epi32(as)),
                                                       _mm512_mullo_epi32(mn_b, _mm512_set1_epi32(bs))));
      }
      const __m512 da = _mm512_set1_ps(y.d);
      const __m512 d = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(chunk))), da);
      const __m512 dmin =
          _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(chunk + 32))), da);
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), d, acc);
      acc = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), dmin, acc);
    }
    _mm512_storeu_ps(out + g * kPackRows16, acc);
  }
}

// Rows of one group back in the file layout (row r at dst + r * row_bytes).
void unpack_group(int64_t nsb, const uint8_t* group, uint8_t* dst, size_t row_bytes) {
  for (int64_t b = 0; b < nsb; ++b) {
    const uint8_t* chunk = group + b * kQ4_Kx16SuperBytes;
    for (int r = 0; r < kPackRows16; ++r) {
      auto& blk = reinterpret_cast<BlockQ4_K*>(dst + r * row_bytes)[b];
      std::memcpy(&blk.d, chunk + 2 * r, 2);
      std::memcpy(&blk.dmin, chunk + 32 + 2 * r, 2);
      for (int v = 0; v < 3; ++v) std::memcpy(blk.scales + 4 * v, chunk + 64 + 64 * v + 4 * r, 4);
    }
    for (int h = 0; h < 2; ++h) {
      __m512i in[16], rows[16];
      for (int j = 0; j < 16; ++j) in[j] = _mm512_load_si512(chunk + 256 + 64 * (16 * h + j));
      transpose16x16_epi32(in, rows);
      for (int r = 0; r < kPackRows16; ++r)
        _mm512_storeu_si512(reinterpret_cast<BlockQ4_K*>(dst + r * row_bytes)[b].qs + 64 * h, rows[r]);
    }
  }
}

void gemm(int64_t n, int64_t n_groups, int nc, const uint8_t* w, size_t group_stride, const void* act,
          size_t act_stride, float* out, int64_t ldo) {
  const int64_t nsb = n / 256;
  const size_t row_bytes = static_cast<size_t>(nsb) * sizeof(BlockQ4_K);
  thread_local std::vector<uint8_t> rows;  // per-thread scratch: the groups in file layout
  const size_t need = row_bytes * static_cast<size_t>(n_groups * kPackRows16);
  if (rows.size() < need) rows.resize(need);
  for (int64_t g = 0; g < n_groups; ++g)
    unpack_group(nsb, w + g * group_stride, rows.data() + static_cast<size_t>(g * kPackRows16) * row_bytes,
                 row_bytes);
  gemm_q4_k()(n, static_cast<int>(n_groups * kPackRows16), nc, rows.data(), row_bytes, act, act_stride, out, ldo);
}

}  // namespace

// Preferred: TinyLlama Q4_K_M tg128 +7% with 2 threads, +14% with 1 (the gemv streams ~25 GB/s
// on one core against ~20 for the row dot); pp512 unchanged. The prompt tile takes 64 rows per
// call (dot_kquants.cpp: q4_k()).
void set_packed_q4_k_avx512(TypeKernels& tk) { set_packed_q4_k(tk, gemv, gemm, q4_k().gemm_rows, true); }

}  // namespace hearth::kernels::avx512

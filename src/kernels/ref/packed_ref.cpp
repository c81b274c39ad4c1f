// Scalar reference for the packed Q4_0x16 / Q8_0x16 layouts (kernels/packed.h): per row and
// block the exact integer sum of code * activation (offsets removed), combined in float in
// block order. Q4_Kx16: each row unpacked and dotted by the row reference.
#include <cstring>
#include <vector>

#include "kernels/packed.h"
#include "kernels/ref/ref.h"
#include "tensor/blocks.h"

namespace hearth::kernels::ref {
namespace {

// Signed code products of one row's block: Q4_0 (code - 8, two nibbles per byte).
int block_dot_q4(const uint8_t* codes, int r, const int8_t* a) {
  int s = 0;
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i) {
      const uint8_t q = codes[64 * j + 4 * r + i];
      s += ((q & 0x0F) - 8) * a[4 * j + i] + ((q >> 4) - 8) * a[16 + 4 * j + i];
    }
  return s;
}
// Q8_0 (stored as q + 128).
int block_dot_q8(const uint8_t* codes, int r, const int8_t* a) {
  int s = 0;
  for (int j = 0; j < 8; ++j)
    for (int i = 0; i < 4; ++i) s += (codes[64 * j + 4 * r + i] - 128) * a[4 * j + i];
  return s;
}

template <size_t kCodeBytes, int (*BlockDot)(const uint8_t*, int, const int8_t*)>
void packed_gemv(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act, float* out) {
  const auto* a = static_cast<const tensor::BlockQ8_0*>(act);
  const int64_t nb = n / 32;
  constexpr size_t kPair = 64 + 2 * kCodeBytes;
  for (int64_t g = 0; g < n_groups; ++g) {
    const uint8_t* group = w + g * group_stride;
    float sum[kPackRows16] = {};
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* pair = group + (b / 2) * kPair;
      const int h = static_cast<int>(b % 2);
      const float da = fp16_to_fp32(a[b].d);
      for (int r = 0; r < kPackRows16; ++r) {
        fp16_t d;
        std::memcpy(&d, pair + 2 * (16 * h + r), 2);
        const int isum = BlockDot(pair + 64 + kCodeBytes * h, r, a[b].qs);
        sum[r] += static_cast<float>(isum) * (fp16_to_fp32(d) * da);
      }
    }
    std::memcpy(out + g * kPackRows16, sum, sizeof sum);
  }
}

}  // namespace

void packed_gemv_q4_0x16(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act,
                         float* out) {
  packed_gemv<kQ4_0x16CodeBytes, block_dot_q4>(n, n_groups, w, group_stride, act, out);
}
void packed_gemv_q8_0x16(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act,
                         float* out) {
  packed_gemv<kQ8_0x16CodeBytes, block_dot_q8>(n, n_groups, w, group_stride, act, out);
}

// Q4_Kx16: each row unpacked to the file layout and dotted with the row reference.
void packed_gemv_q4_kx16(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act,
                         float* out) {
  std::vector<uint8_t> row(static_cast<size_t>(n / 256) * sizeof(tensor::BlockQ4_K));
  for (int64_t g = 0; g < n_groups; ++g)
    for (int r = 0; r < kPackRows16; ++r) {
      unpack_q4_kx16_row(n, w + g * group_stride, r, row.data());
      vec_dot_q4_k(n, out + g * kPackRows16 + r, row.data(), act);
    }
}

}  // namespace hearth::kernels::ref

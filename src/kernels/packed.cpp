#include "kernels/packed.h"

#include <cstring>

#include "tensor/blocks.h"

namespace hearth::kernels {
namespace {

using tensor::BlockQ4_0;
using tensor::BlockQ4_K;
using tensor::BlockQ8_0;

// Byte i of quarter j of a row's packed block <-> byte of the GGUF block.
struct Q4 {
  using Block = BlockQ4_0;
  static constexpr size_t kCodeBytes = kQ4_0x16CodeBytes;
  static uint8_t to_packed(uint8_t b) { return b; }
  static uint8_t from_packed(uint8_t b) { return b; }
  static const uint8_t* codes(const Block& b) { return b.qs; }
  static uint8_t* codes(Block& b) { return b.qs; }
};
struct Q8 {
  using Block = BlockQ8_0;
  static constexpr size_t kCodeBytes = kQ8_0x16CodeBytes;
  static uint8_t to_packed(uint8_t b) { return b ^ 0x80; }  // int8 q -> q + 128
  static uint8_t from_packed(uint8_t b) { return b ^ 0x80; }
  static const uint8_t* codes(const Block& b) { return reinterpret_cast<const uint8_t*>(b.qs); }
  static uint8_t* codes(Block& b) { return reinterpret_cast<uint8_t*>(b.qs); }
};

template <typename F>
constexpr size_t pair_bytes() {
  return 64 + 2 * F::kCodeBytes;
}

template <typename F>
size_t group_bytes(int64_t n) {
  return static_cast<size_t>(packed16_pairs(n)) * pair_bytes<F>();
}

template <typename F>
void pack(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst) {
  const int64_t nb = n / 32;
  std::memset(dst, 0, group_bytes<F>(n));
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* pair = dst + (b / 2) * pair_bytes<F>();
    const int h = static_cast<int>(b % 2);
    for (int r = 0; r < kPackRows16; ++r) {
      const auto& blk = reinterpret_cast<const typename F::Block*>(src + r * src_stride)[b];
      std::memcpy(pair + 2 * (16 * h + r), &blk.d, 2);
      const uint8_t* q = F::codes(blk);
      uint8_t* out = pair + 64 + F::kCodeBytes * h + 4 * r;
      for (size_t j = 0; j < F::kCodeBytes / 64; ++j)
        for (int i = 0; i < 4; ++i) out[64 * j + i] = F::to_packed(q[4 * j + i]);
    }
  }
}

template <typename F>
void unpack_row(int64_t n, const uint8_t* group, int row, uint8_t* dst) {
  auto* out = reinterpret_cast<typename F::Block*>(dst);
  for (int64_t b = 0; b < n / 32; ++b) {
    const uint8_t* pair = group + (b / 2) * pair_bytes<F>();
    const int h = static_cast<int>(b % 2);
    std::memcpy(&out[b].d, pair + 2 * (16 * h + row), 2);
    uint8_t* q = F::codes(out[b]);
    const uint8_t* in = pair + 64 + F::kCodeBytes * h + 4 * row;
    for (size_t j = 0; j < F::kCodeBytes / 64; ++j)
      for (int i = 0; i < 4; ++i) q[4 * j + i] = F::from_packed(in[64 * j + i]);
  }
}

// Q4_Kx16: byte offsets inside a super-block chunk of the file block's fields for row r.
void copy_q4_k_block(const BlockQ4_K& b, int r, uint8_t* chunk) {
  std::memcpy(chunk + 2 * r, &b.d, 2);
  std::memcpy(chunk + 32 + 2 * r, &b.dmin, 2);
  for (int v = 0; v < 3; ++v) std::memcpy(chunk + 64 + 64 * v + 4 * r, b.scales + 4 * v, 4);
  for (int j = 0; j < 32; ++j) std::memcpy(chunk + 256 + 64 * j + 4 * r, b.qs + 4 * j, 4);
}

void set_packed(TypeKernels& tk, size_t (*bytes)(int64_t), decltype(TypeKernels::pack_group) pack_fn,
                PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred) {
  tk.pack_rows = kPackRows16;
  tk.pack_group_bytes = bytes;
  tk.pack_group = pack_fn;
  tk.pack_preferred = preferred;
  tk.packed_gemv = gemv;
  tk.packed_gemm = gemm;
  tk.packed_gemm_rows = gemm_rows;
}

}  // namespace

size_t q4_0x16_group_bytes(int64_t n) { return group_bytes<Q4>(n); }
size_t q8_0x16_group_bytes(int64_t n) { return group_bytes<Q8>(n); }
void pack_q4_0x16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst) { pack<Q4>(n, src, src_stride, dst); }
void pack_q8_0x16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst) { pack<Q8>(n, src, src_stride, dst); }
void unpack_q4_0x16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst) { unpack_row<Q4>(n, group, row, dst); }
void unpack_q8_0x16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst) { unpack_row<Q8>(n, group, row, dst); }

size_t q4_kx16_group_bytes(int64_t n) { return static_cast<size_t>(n / 256) * kQ4_Kx16SuperBytes; }
void pack_q4_kx16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst) {
  for (int64_t b = 0; b < n / 256; ++b)
    for (int r = 0; r < kPackRows16; ++r)
      copy_q4_k_block(reinterpret_cast<const BlockQ4_K*>(src + r * src_stride)[b], r, dst + b * kQ4_Kx16SuperBytes);
}
void unpack_q4_kx16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockQ4_K*>(dst);
  for (int64_t b = 0; b < n / 256; ++b) {
    const uint8_t* chunk = group + b * kQ4_Kx16SuperBytes;
    std::memcpy(&out[b].d, chunk + 2 * row, 2);
    std::memcpy(&out[b].dmin, chunk + 32 + 2 * row, 2);
    for (int v = 0; v < 3; ++v) std::memcpy(out[b].scales + 4 * v, chunk + 64 + 64 * v + 4 * row, 4);
    for (int j = 0; j < 32; ++j) std::memcpy(out[b].qs + 4 * j, chunk + 256 + 64 * j + 4 * row, 4);
  }
}

void set_packed_q4_0(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred) {
  set_packed(tk, q4_0x16_group_bytes, pack_q4_0x16, gemv, gemm, gemm_rows, preferred);
}
void set_packed_q8_0(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred) {
  set_packed(tk, q8_0x16_group_bytes, pack_q8_0x16, gemv, gemm, gemm_rows, preferred);
}

void set_packed_q4_k(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred) {
  set_packed(tk, q4_kx16_group_bytes, pack_q4_kx16, gemv, gemm, gemm_rows, preferred);
}

}  // namespace hearth::kernels

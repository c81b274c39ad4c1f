#pragma once
// Row-interleaved ("packed") weight layouts, made once at model load (Layout::Packed).
//
// Q4_0x16 and Q8_0x16: groups of 16 rows. Blocks are stored in pairs (an odd last block is
// paired with a zero block), each pair a 64-byte aligned chunk:
//   [0, 64): the F16 scales of both blocks, block-major: scale of (block h, row r) at 2 * (16h + r);
//   then the codes of block 0 and of block 1, kCodeBytes each, as 64-byte quarters; in
//   quarter j, bytes [4r, 4r + 4) hold 4 bytes of row r:
//   * Q4_0x16 (4 quarters): qs[4j .. 4j+3]. Low nibbles are elements 4j..4j+3 and high
//     nibbles elements 16+4j..16+4j+3 (Q4_0 keeps element i and i+16 in byte i).
//   * Q8_0x16 (8 quarters): elements 4j..4j+3 as unsigned bytes q + 128.
// One quarter in a 512-bit register therefore holds row r in 32-bit lane r, ready for one
// vpdpbusd (unsigned codes x signed activation bytes) per 4 elements of 16 rows.
//
// Q4_Kx16: groups of 16 rows, per 256-element super-block one 2304-byte chunk (the file's
// 16 x 144 bytes, 64-byte aligned):
//   [0, 32): d of rows 0..15 (F16), [32, 64): dmin of rows 0..15;
//   [64, 256): the 12 scale bytes of each row as 3 dwords: vector v (64 bytes at 64 + 64v)
//     holds scales[4v .. 4v+3] of row r at bytes [4r, 4r + 4);
//   [256, 2304): 32 code quarters: quarter j holds qs[4j .. 4j+3] of row r at [4r, 4r + 4)
//     (low nibbles: elements 64(j/8) + 4(j%8) + 0..3, high nibbles the same + 32).
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace hearth::kernels {

inline constexpr int kPackRows16 = 16;
inline constexpr size_t kQ4_0x16CodeBytes = 256;  // per block of 16 rows
inline constexpr size_t kQ8_0x16CodeBytes = 512;

inline constexpr size_t kQ4_Kx16SuperBytes = 16 * 144;

inline int64_t packed16_pairs(int64_t n) { return (n / 32 + 1) / 2; }
size_t q4_0x16_group_bytes(int64_t n);
size_t q8_0x16_group_bytes(int64_t n);
void pack_q4_0x16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst);
void pack_q8_0x16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst);
// Inverses for one row (tests, and readers that need the GGUF bytes back).
void unpack_q4_0x16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst);
void unpack_q8_0x16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst);
size_t q4_kx16_group_bytes(int64_t n);
void pack_q4_kx16(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst);
void unpack_q4_kx16_row(int64_t n, const uint8_t* group, int row, uint8_t* dst);

using PackedGemv = decltype(TypeKernels::packed_gemv);
using PackedGemm = decltype(TypeKernels::packed_gemm);
// Fill tk's packed entries with the format and the given kernels (gemm may be null, else it
// takes up to gemm_rows rows per call).
void set_packed_q4_0(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred);
void set_packed_q8_0(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred);
void set_packed_q4_k(TypeKernels& tk, PackedGemv gemv, PackedGemm gemm, int gemm_rows, bool preferred);

}  // namespace hearth::kernels

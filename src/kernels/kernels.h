#pragma once
// Kernel dispatch: one immutable table per instruction set, filled at compile time and
// chosen at run time from CPUID. Every entry has a scalar reference (Isa::Scalar) that
// the SIMD versions are tested against.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/cpu_features.h"
#include "gguf/types.h"
#include "kernels/attention.h"

namespace hearth::kernels {

enum class Isa { Scalar, Avx2, Avx512 };
std::string_view isa_name(Isa isa);

// How a Matrix's bytes are arranged.
enum class Layout : uint8_t {
  Rows,    // row r at data + r * row_stride (the GGUF layout)
  Packed,  // the type's row-interleaved layout (TypeKernels::pack_*): groups of pack_rows rows,
           // group g at data + g * group_stride; row_stride is not used
};

// A 2-D weight: `rows` rows of `cols` elements of `type`.
struct Matrix {
  GgmlType type = GgmlType::F32;
  const uint8_t* data = nullptr;
  int64_t cols = 0;
  int64_t rows = 0;
  size_t row_stride = 0;
  Layout layout = Layout::Rows;
  size_t group_stride = 0;  // Layout::Packed only
};

// How one weight type is multiplied: activations are first converted to `act_type`
// (llama.cpp's "vec_dot type": Q8_0, Q8_1, Q8_K, F16, ...), then each output is a dot
// product of a weight row with a converted activation row.
struct TypeKernels {
  GgmlType act_type = GgmlType::F32;
  // Converts n floats (n a multiple of act_type's block) to act_type; nullptr when F32.
  void (*convert_act)(const float* x, void* dst, int64_t n) = nullptr;
  // out[0] = dot(w_row, act_row) over n elements. nullptr: matmul falls back to
  // dequantizing the weight row and an F32 dot (correct for any dequantizable type).
  void (*vec_dot)(int64_t n, float* out, const void* w_row, const void* act_row) = nullptr;
  // Optional register-blocked tile: out[c * ldo + r] = dot(w row r, act row c) for
  // r < nr, c < nc, with nr <= gemm_rows and nc <= gemm_cols.
  void (*gemm)(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride,
               float* out, int64_t ldo) = nullptr;
  int gemm_rows = 0;
  int gemm_cols = 0;

  // Optional row-interleaved layout, made once at load time (Layout::Packed). The format is
  // defined by the type (kernels/packed.h), so every table that has packed_gemv can run a
  // matrix packed for any other table. pack_rows: rows per group (0: no packed layout).
  int pack_rows = 0;
  // Bytes of one packed group of pack_rows rows of n elements (a multiple of 64).
  size_t (*pack_group_bytes)(int64_t n) = nullptr;
  // Packs rows [0, pack_rows) of n elements (row r at src + r * src_stride) into one group.
  void (*pack_group)(int64_t n, const uint8_t* src, size_t src_stride, uint8_t* dst) = nullptr;
  // True where this ISA's packed kernels beat its row kernels (the loader packs only then).
  bool pack_preferred = false;
  // out[g * pack_rows + r] = dot(row r of group g, act) for the n_groups groups at w.
  void (*packed_gemv)(int64_t n, int64_t n_groups, const uint8_t* w, size_t group_stride, const void* act,
                      float* out) = nullptr;
  // out[c * ldo + g * pack_rows + r] = dot(row r of group g, act row c) for g < n_groups,
  // c < nc (nc <= gemm_cols; n_groups * pack_rows <= packed_gemm_rows). Optional.
  void (*packed_gemm)(int64_t n, int64_t n_groups, int nc, const uint8_t* w, size_t group_stride, const void* act,
                      size_t act_stride, float* out, int64_t ldo) = nullptr;
  int packed_gemm_rows = 0;

  // Optional second tile for large batches, same contract as `gemm`: used instead of it when
  // n_tokens >= large_gemm_min_tokens. For a faster tile with lower precision (e.g. bf16
  // rounding of F16 operands) where the batch is big enough for the speed to matter.
  void (*large_gemm)(int64_t n, int nr, int nc, const void* w, size_t w_stride, const void* act, size_t act_stride,
                     float* out, int64_t ldo) = nullptr;
  int large_gemm_rows = 0;
  int large_gemm_cols = 0;
  int64_t large_gemm_min_tokens = 0;
};

// Element-wise kernels used by the forward pass.
struct OpKernels {
  // y = x * w / sqrt(mean(x^2) + eps), n elements (w may be null: no weight).
  void (*rms_norm)(const float* x, const float* w, float* y, int64_t n, float eps) = nullptr;
  // y[i] = silu(g[i]) * u[i]
  void (*silu_mul)(const float* g, const float* u, float* y, int64_t n) = nullptr;
  // x[i] += y[i]
  void (*add)(float* x, const float* y, int64_t n) = nullptr;
  // dot product of two float vectors
  float (*dot_f32)(const float* a, const float* b, int64_t n) = nullptr;
  // y[i] += a * x[i]
  void (*axpy)(float a, const float* x, float* y, int64_t n) = nullptr;
  // dot of a float vector with an fp16 vector / y += a * fp16 x
  float (*dot_f32_f16)(const float* a, const uint16_t* b, int64_t n) = nullptr;
  void (*axpy_f16)(float a, const uint16_t* x, float* y, int64_t n) = nullptr;
  // Attention of a block of query rows of one head over an F16 cache (see attention.h).
  void (*attend_f16)(const AttnF16Job& job) = nullptr;
};

struct KernelTable {
  Isa isa = Isa::Scalar;
  std::array<TypeKernels, kGgmlTypeCount> types{};
  OpKernels ops{};
};

// The table for `isa`; requesting an ISA the CPU lacks is a programming error (checked).
const KernelTable& kernel_table(Isa isa);
// Every ISA compiled in and supported by `cpu`, scalar first.
std::vector<Isa> supported_isas(const CpuFeatures& cpu);
Isa best_isa(const CpuFeatures& cpu);

// Per-ISA table builders (defined in ref/, avx2/, avx512/).
KernelTable make_scalar_table();
KernelTable make_avx2_table();
KernelTable make_avx512_table();

}  // namespace hearth::kernels

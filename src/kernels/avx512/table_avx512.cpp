#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "core/cpu_features.h"
#include "kernels/avx512/avx512.h"
#include "kernels/kernels.h"

namespace hearth::kernels {
namespace {

// Batch size from which F16 weights use the bf16 prompt tile (gemm_f16_bf16.cpp): it rounds
// weights and activations to bf16 (~2^-8 relative per product instead of F16's exact
// products), which moves logits by up to ~0.1-0.35 on the F16 conformance models when forced
// for every batch, beyond the 0.05 float-model bound; the longest conformance prompt has ~320
// tokens. HEARTH_F16_GEMM overrides it, read once when the table is built: "f32" = never
// (exact F16 -> F32 FMA tile), "bf16" = every batch, a number = that minimum batch size.
constexpr int64_t kF16Bf16MinTokens = 384;

int64_t f16_bf16_min_tokens() {
  const char* env = std::getenv("HEARTH_F16_GEMM");
  if (!env || !*env) return kF16Bf16MinTokens;
  const std::string_view v(env);
  if (v == "f32") return 0;
  if (v == "bf16") return 2;
  const int64_t n = std::atoll(env);
  return n > 0 ? std::max<int64_t>(n, 2) : kF16Bf16MinTokens;
}

}  // namespace

// AVX-512 kernels override the AVX2 entries they improve on. The table is only selected when
// CpuFeatures::has_avx512_set() holds (F/BW/VL/DQ/VNNI); the BF16 entries additionally need
// AVX512_BF16 and are left to the AVX2/scalar versions without it.
KernelTable make_avx512_table() {
  KernelTable t = make_avx2_table();
  t.isa = Isa::Avx512;
  auto set = [&](GgmlType w, GgmlType act, auto convert, avx512::TypeEntry e) {
    t.types[static_cast<size_t>(w)] = {act, convert, e.vec_dot, e.gemm, e.gemm_rows, e.gemm_cols};
  };
  set(GgmlType::F32, GgmlType::F32, nullptr, avx512::f32());
  set(GgmlType::F16, GgmlType::F16, avx512::convert_f16, avx512::f16());
  if (const int64_t min_tokens = f16_bf16_min_tokens(); detect_cpu_features().avx512bf16 && min_tokens > 0) {
    // Large prompt batches of F16 weights in bf16 (vdpbf16ps: ~2.5x the F32-FMA tile in isolation); smaller
    // batches and matrix-vector products keep the F16 kernels, so generation is unchanged.
    auto& e = t.types[static_cast<size_t>(GgmlType::F16)];
    e.large_gemm = avx512::gemm_f16_bf16();
    e.large_gemm_rows = avx512::kF16Bf16Rows;
    e.large_gemm_cols = avx512::kF16Bf16Cols;
    e.large_gemm_min_tokens = min_tokens;
  }
  if (detect_cpu_features().avx512bf16) set(GgmlType::BF16, GgmlType::BF16, avx512::convert_bf16, avx512::bf16());
  set(GgmlType::Q4_0, GgmlType::Q8_0, avx512::convert_q8_0, avx512::q4_0());
  avx512::set_packed_q4_0_avx512(t.types[static_cast<size_t>(GgmlType::Q4_0)]);
  set(GgmlType::Q5_0, GgmlType::Q8_0, avx512::convert_q8_0, avx512::q5_0());
  set(GgmlType::Q8_0, GgmlType::Q8_0, avx512::convert_q8_0, avx512::q8_0());
  avx512::set_packed_q8_0_avx512(t.types[static_cast<size_t>(GgmlType::Q8_0)]);
  set(GgmlType::IQ4_NL, GgmlType::Q8_0, avx512::convert_q8_0, avx512::iq4_nl());
  set(GgmlType::Q4_1, GgmlType::Q8_1, avx512::convert_q8_1, avx512::q4_1());
  set(GgmlType::Q5_1, GgmlType::Q8_1, avx512::convert_q8_1, avx512::q5_1());
  set(GgmlType::Q2_K, GgmlType::Q8_K, avx512::convert_q8_k, avx512::q2_k());
  set(GgmlType::Q3_K, GgmlType::Q8_K, avx512::convert_q8_k, avx512::q3_k());
  set(GgmlType::Q4_K, GgmlType::Q8_K, avx512::convert_q8_k, avx512::q4_k());
  avx512::set_packed_q4_k_avx512(t.types[static_cast<size_t>(GgmlType::Q4_K)]);
  set(GgmlType::Q5_K, GgmlType::Q8_K, avx512::convert_q8_k, avx512::q5_k());
  set(GgmlType::Q6_K, GgmlType::Q8_K, avx512::convert_q8_k, avx512::q6_k());
  // IQ4_XS keeps the scalar kernel with an AVX-512 activation converter.
  t.types[static_cast<size_t>(GgmlType::IQ4_XS)].convert_act = avx512::convert_q8_k;
  t.ops.rms_norm = avx512::rms_norm;
  t.ops.silu_mul = avx512::silu_mul;
  t.ops.add = avx512::add;
  t.ops.dot_f32 = avx512::dot_f32;
  t.ops.axpy = avx512::axpy;
  t.ops.dot_f32_f16 = avx512::dot_f32_f16;
  t.ops.axpy_f16 = avx512::axpy_f16;
  t.ops.attend_f16 = avx512::attend_f16;
  return t;
}

}  // namespace hearth::kernels

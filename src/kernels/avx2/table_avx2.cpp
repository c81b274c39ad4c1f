#include "kernels/avx2/avx2.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

// AVX2 (+FMA, F16C, BMI2) kernels override the scalar entries they implement. The table is
// only selected when CpuFeatures::has_avx2_set() holds. IQ4_XS keeps the scalar dot product
// with the AVX2 Q8_K converter.
KernelTable make_avx2_table() {
  KernelTable t = make_scalar_table();
  t.isa = Isa::Avx2;
  auto set = [&](GgmlType w, GgmlType act, auto convert, avx2::TypeEntry e) {
    t.types[static_cast<size_t>(w)] = {act, convert, e.vec_dot, e.gemm, e.gemm_rows, e.gemm_cols};
  };
  set(GgmlType::F32, GgmlType::F32, nullptr, avx2::f32());
  set(GgmlType::F16, GgmlType::F16, avx2::convert_f16, avx2::f16());
  set(GgmlType::BF16, GgmlType::BF16, avx2::convert_bf16, avx2::bf16());
  set(GgmlType::Q4_0, GgmlType::Q8_0, avx2::convert_q8_0, avx2::q4_0());
  set(GgmlType::Q5_0, GgmlType::Q8_0, avx2::convert_q8_0, avx2::q5_0());
  set(GgmlType::Q8_0, GgmlType::Q8_0, avx2::convert_q8_0, avx2::q8_0());
  set(GgmlType::IQ4_NL, GgmlType::Q8_0, avx2::convert_q8_0, avx2::iq4_nl());
  set(GgmlType::Q4_1, GgmlType::Q8_1, avx2::convert_q8_1, avx2::q4_1());
  set(GgmlType::Q5_1, GgmlType::Q8_1, avx2::convert_q8_1, avx2::q5_1());
  set(GgmlType::Q2_K, GgmlType::Q8_K, avx2::convert_q8_k, avx2::q2_k());
  set(GgmlType::Q3_K, GgmlType::Q8_K, avx2::convert_q8_k, avx2::q3_k());
  set(GgmlType::Q4_K, GgmlType::Q8_K, avx2::convert_q8_k, avx2::q4_k());
  set(GgmlType::Q5_K, GgmlType::Q8_K, avx2::convert_q8_k, avx2::q5_k());
  set(GgmlType::Q6_K, GgmlType::Q8_K, avx2::convert_q8_k, avx2::q6_k());
  t.types[static_cast<size_t>(GgmlType::IQ4_XS)].convert_act = avx2::convert_q8_k;
  t.ops.rms_norm = avx2::rms_norm;
  t.ops.silu_mul = avx2::silu_mul;
  t.ops.add = avx2::add;
  t.ops.dot_f32 = avx2::dot_f32;
  t.ops.axpy = avx2::axpy;
  t.ops.dot_f32_f16 = avx2::dot_f32_f16;
  t.ops.axpy_f16 = avx2::axpy_f16;
  return t;
}

}  // namespace hearth::kernels

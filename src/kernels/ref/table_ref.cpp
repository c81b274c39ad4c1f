#include "kernels/kernels.h"
#include "kernels/packed.h"
#include "kernels/ref/ref.h"

namespace hearth::kernels {

KernelTable make_scalar_table() {
  KernelTable t;
  t.isa = Isa::Scalar;
  auto set = [&](GgmlType w, GgmlType act, auto convert, auto dot) {
    t.types[static_cast<size_t>(w)] = {act, convert, dot};
  };
  set(GgmlType::F32, GgmlType::F32, nullptr, ref::vec_dot_f32);
  set(GgmlType::F16, GgmlType::F16, ref::convert_f16, ref::vec_dot_f16);
  set(GgmlType::BF16, GgmlType::BF16, ref::convert_bf16, ref::vec_dot_bf16);
  set(GgmlType::Q4_0, GgmlType::Q8_0, ref::convert_q8_0, ref::vec_dot_q4_0);
  set(GgmlType::Q5_0, GgmlType::Q8_0, ref::convert_q8_0, ref::vec_dot_q5_0);
  set(GgmlType::Q8_0, GgmlType::Q8_0, ref::convert_q8_0, ref::vec_dot_q8_0);
  set(GgmlType::IQ4_NL, GgmlType::Q8_0, ref::convert_q8_0, ref::vec_dot_iq4_nl);
  set(GgmlType::Q4_1, GgmlType::Q8_1, ref::convert_q8_1, ref::vec_dot_q4_1);
  set(GgmlType::Q5_1, GgmlType::Q8_1, ref::convert_q8_1, ref::vec_dot_q5_1);
  set(GgmlType::Q2_K, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_q2_k);
  set(GgmlType::Q3_K, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_q3_k);
  set(GgmlType::Q4_K, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_q4_k);
  set(GgmlType::Q5_K, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_q5_k);
  set(GgmlType::Q6_K, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_q6_k);
  set(GgmlType::IQ4_XS, GgmlType::Q8_K, ref::convert_q8_k, ref::vec_dot_iq4_xs);
  set_packed_q4_0(t.types[static_cast<size_t>(GgmlType::Q4_0)], ref::packed_gemv_q4_0x16, nullptr, 0, false);
  set_packed_q8_0(t.types[static_cast<size_t>(GgmlType::Q8_0)], ref::packed_gemv_q8_0x16, nullptr, 0, false);
  set_packed_q4_k(t.types[static_cast<size_t>(GgmlType::Q4_K)], ref::packed_gemv_q4_kx16, nullptr, 0, false);
  t.ops.rms_norm = ref::rms_norm;
  t.ops.silu_mul = ref::silu_mul;
  t.ops.add = ref::add;
  t.ops.dot_f32 = ref::dot_f32;
  t.ops.axpy = ref::axpy;
  t.ops.dot_f32_f16 = ref::dot_f32_f16;
  t.ops.axpy_f16 = ref::axpy_f16;
  t.ops.attend_f16 = ref::attend_f16;
  return t;
}

}  // namespace hearth::kernels

#include "kernels/kernels.h"
#include "kernels/ref/ref.h"

namespace hearth::kernels {
namespace {

void vec_dot_f32(int64_t n, float* out, const void* w, const void* x) {
  *out = ref::dot_f32(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

}  // namespace

KernelTable make_scalar_table() {
  KernelTable t;
  t.isa = Isa::Scalar;
  t.types[static_cast<size_t>(GgmlType::F32)] = {GgmlType::F32, nullptr, vec_dot_f32};
  t.ops.rms_norm = ref::rms_norm;
  t.ops.silu_mul = ref::silu_mul;
  t.ops.add = ref::add;
  t.ops.dot_f32 = ref::dot_f32;
  t.ops.axpy = ref::axpy;
  t.ops.dot_f32_f16 = ref::dot_f32_f16;
  t.ops.axpy_f16 = ref::axpy_f16;
  return t;
}

}  // namespace hearth::kernels

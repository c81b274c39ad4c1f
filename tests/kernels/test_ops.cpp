// Element-wise kernels of every ISA against the scalar reference.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace hearth::kernels::test {
namespace {

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = fp32_to_fp16(v[i]);
  return h;
}

// |got - want| <= rel * |want| + abs (abs covers cancellation in y + a*x).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, double rel, const std::string& what,
                  double abs = 1e-30) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + abs) << what << " at " << i;
}

TEST(Ops, SimdMatchesScalar) {
  const OpKernels& ref = kernel_table(Isa::Scalar).ops;
  for (Isa isa : simd_isas()) {
    const OpKernels& op = kernel_table(isa).ops;
    const std::string name(isa_name(isa));
    for (int64_t n : {1, 15, 16, 17, 64, 100, 2048}) {
      const auto a = random_floats(static_cast<size_t>(n), 1u + static_cast<uint32_t>(n), 2.0f);
      auto b = random_floats(static_cast<size_t>(n), 2u + static_cast<uint32_t>(n), 2.0f);
      if (n >= 4) b[3] = -100.0f, b[2] = 100.0f;  // silu saturation on both sides
      const auto bh = to_f16(b);
      const std::string tag = name + " n=" + std::to_string(n);

      std::vector<float> y1(a.size()), y2(a.size());
      for (const float* w : std::initializer_list<const float*>{nullptr, b.data()}) {
        ref.rms_norm(a.data(), w, y1.data(), n, 1e-5f);
        op.rms_norm(a.data(), w, y2.data(), n, 1e-5f);
        expect_close(y2, y1, 1e-6, "rms_norm " + tag);
      }
      ref.silu_mul(b.data(), a.data(), y1.data(), n);
      op.silu_mul(b.data(), a.data(), y2.data(), n);
      expect_close(y2, y1, 4e-6, "silu_mul " + tag);

      y1 = a, y2 = a;
      ref.add(y1.data(), b.data(), n);
      op.add(y2.data(), b.data(), n);
      expect_close(y2, y1, 0, "add " + tag);

      y1 = a, y2 = a;
      ref.axpy(0.75f, b.data(), y1.data(), n);
      op.axpy(0.75f, b.data(), y2.data(), n);
      expect_close(y2, y1, 1e-6, "axpy " + tag, 1e-5);  // FMA vs mul+add: one rounding apart
      y1 = a, y2 = a;
      ref.axpy_f16(-1.25f, bh.data(), y1.data(), n);
      op.axpy_f16(-1.25f, bh.data(), y2.data(), n);
      expect_close(y2, y1, 1e-6, "axpy_f16 " + tag, 1e-5);

      double abs_sum = 0.0;
      for (int64_t i = 0; i < n; ++i) abs_sum += std::fabs(static_cast<double>(a[static_cast<size_t>(i)]) * b[static_cast<size_t>(i)]);
      EXPECT_NEAR(op.dot_f32(a.data(), b.data(), n), ref.dot_f32(a.data(), b.data(), n), 1e-6 * abs_sum) << tag;
      EXPECT_NEAR(op.dot_f32_f16(a.data(), bh.data(), n), ref.dot_f32_f16(a.data(), bh.data(), n), 1e-6 * abs_sum) << tag;
    }
  }
}

}  // namespace
}  // namespace hearth::kernels::test

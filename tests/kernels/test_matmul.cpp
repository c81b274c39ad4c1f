// matmul(): every ISA against the scalar reference, and independent of the thread count.
#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/matmul.h"

namespace hearth::kernels::test {
namespace {

ThreadPool& pool_of(int threads) {
  static ThreadPool p1(1), p2(2), p3(3);
  return threads == 1 ? p1 : threads == 2 ? p2 : p3;
}

std::vector<float> run_matmul(Isa isa, int threads, const QMatrix& w, const std::vector<float>& x, int64_t n_tokens) {
  ThreadPool& pool = pool_of(threads);
  Workspace ws;
  const Context ctx{pool, kernel_table(isa), ws};
  std::vector<float> y(static_cast<size_t>(n_tokens * w.rows), 0.0f);
  matmul(ctx, w.matrix(), x.data(), n_tokens, y.data());
  return y;
}

TEST(Matmul, AllIsasAgreeWithScalarAndAcrossThreadCounts) {
  for (GgmlType t : weight_types()) {
    const int64_t k = block_size(t) == 32 ? 288 : 512;
    for (int64_t rows : {1, 3, 17, 64}) {
      const QMatrix w(t, rows, k, 500u + static_cast<uint32_t>(rows));
      for (int64_t n_tokens : {1, 2, 5, 33}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * k), 600u + static_cast<uint32_t>(n_tokens));
        const auto ref = run_matmul(Isa::Scalar, 1, w, x, n_tokens);
        for (Isa isa : supported_isas(detect_cpu_features())) {
          const auto y1 = run_matmul(isa, 1, w, x, n_tokens);
          // A large-batch tile (HEARTH_F16_GEMM can lower its threshold to any batch) has its own bound.
          const TypeKernels& tk = kernel_table(isa).types[static_cast<size_t>(t)];
          const bool large = tk.large_gemm && n_tokens > 1 && n_tokens >= tk.large_gemm_min_tokens;
          const double rel = large ? gemm_rel_tolerance(tk.large_gemm, k) : 1e-5;
          for (int64_t tk = 0; tk < n_tokens; ++tk) {
            const Act act(t, x.data() + tk * k, k);
            for (int64_t r = 0; r < rows; ++r) {
              const double tol = dot_tolerance(w.deq.data() + r * k, act.deq.data(), k, rel);
              ASSERT_NEAR(y1[static_cast<size_t>(tk * rows + r)], ref[static_cast<size_t>(tk * rows + r)], tol)
                  << isa_name(isa) << " " << type_name(t) << " rows=" << rows << " tokens=" << n_tokens;
            }
          }
          // Thread-count independence (bit-exact): checked for the driver's two paths.
          if (n_tokens != 1 && n_tokens != 33) continue;
          for (int threads : {2, 3}) {
            const auto yn = run_matmul(isa, threads, w, x, n_tokens);
            ASSERT_EQ(yn, y1) << isa_name(isa) << " " << type_name(t) << " threads=" << threads << " rows=" << rows
                              << " tokens=" << n_tokens;
          }
        }
      }
    }
  }
}

// A registered large-batch tile (F16's bf16 tile on AVX512_BF16) is used from its minimum batch
// size on, the regular tile below it; lowered here so small batches exercise it.
TEST(Matmul, LargeBatchTileFromItsMinimumBatchSize) {
  const KernelTable& base = kernel_table(best_isa(detect_cpu_features()));
  for (GgmlType t : weight_types()) {
    const TypeKernels& tk = base.types[static_cast<size_t>(t)];
    if (!tk.large_gemm) continue;
    KernelTable table = base;
    table.types[static_cast<size_t>(t)].large_gemm_min_tokens = 9;
    KernelTable regular = base;
    regular.types[static_cast<size_t>(t)].large_gemm = nullptr;
    const int64_t k = 300, rows = 70;
    const QMatrix w(t, rows, k, 77u);
    for (int64_t n_tokens : {8, 9, 40}) {
      std::vector<float> y_one_thread;
      for (int threads : {1, 2}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * k), 78u + static_cast<uint32_t>(n_tokens));
        auto run = [&](const KernelTable& tab) {
          Workspace ws;
          std::vector<float> y(static_cast<size_t>(n_tokens * rows));
          matmul({pool_of(threads), tab, ws}, w.matrix(), x.data(), n_tokens, y.data());
          return y;
        };
        const auto y = run(table), y_regular = run(regular), ref = run(kernel_table(Isa::Scalar));
        if (threads == 1) y_one_thread = y;
        EXPECT_EQ(y, y_one_thread) << type_name(t) << " tokens=" << n_tokens << " threads=" << threads;
        if (n_tokens < 9) {
          EXPECT_EQ(y, y_regular) << type_name(t) << " tokens=" << n_tokens;
          continue;
        }
        EXPECT_NE(y, y_regular) << type_name(t) << " tokens=" << n_tokens << ": large-batch tile not used";
        for (int64_t tok = 0; tok < n_tokens; ++tok) {
          const Act act(t, x.data() + tok * k, k);
          for (int64_t r = 0; r < rows; ++r) {
            const double tol =
                dot_tolerance(w.deq.data() + r * k, act.deq.data(), k, gemm_rel_tolerance(tk.large_gemm, k));
            ASSERT_NEAR(y[static_cast<size_t>(tok * rows + r)], ref[static_cast<size_t>(tok * rows + r)], tol)
                << type_name(t) << " tokens=" << n_tokens << " threads=" << threads;
          }
        }
      }
    }
  }
}

// Types without a kernel fall back to dequantize + F32 dot.
TEST(Matmul, DequantFallbackForTypesWithoutKernel) {
  KernelTable table = kernel_table(Isa::Scalar);
  table.types[static_cast<size_t>(GgmlType::Q4_K)] = {};
  const QMatrix w(GgmlType::Q4_K, 5, 256, 9u);
  const auto x = random_floats(2 * 256, 10u);
  ThreadPool pool(2);
  Workspace ws;
  std::vector<float> y(10);
  matmul({pool, table, ws}, w.matrix(), x.data(), 2, y.data());
  for (int t = 0; t < 2; ++t)
    for (int r = 0; r < 5; ++r) {
      double e = 0.0;
      for (int i = 0; i < 256; ++i) e += static_cast<double>(w.deq[static_cast<size_t>(r * 256 + i)]) * x[static_cast<size_t>(t * 256 + i)];
      EXPECT_NEAR(y[static_cast<size_t>(t * 5 + r)], e, 1e-4);
    }
}

}  // namespace
}  // namespace hearth::kernels::test

// Micro-benchmarks of kernels::matmul on TinyLlama-1.1B shapes, per weight type and ISA.
//   BM_Matmul/<type>/<isa>/<rows>x<k>/t<tokens>
// Counters: GFLOPs (2*rows*k*tokens per second) and, for one token, GBps of weight bytes
// streamed. Kernels without a gemm tile (scalar) use 16 tokens for the prompt case.
// Every configuration is validated against the scalar vec_dot on sampled outputs first.
// Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true for medians.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "tensor/quant.h"

namespace hearth::kernels {
namespace {

struct Shape {
  int64_t rows, k;
};

// Quantizing a full matrix with the reference K-quant search is slow: quantize 32 distinct
// random rows and tile them (the memory traffic is what matters).
std::vector<uint8_t> make_weights(GgmlType t, Shape s) {
  const size_t stride = row_size(t, s.k);
  std::vector<uint8_t> w(stride * static_cast<size_t>(s.rows));
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(s.k));
  const int64_t distinct = std::min<int64_t>(32, s.rows);
  for (int64_t r = 0; r < distinct; ++r) {
    for (auto& v : row) v = dist(rng);
    tensor::quantize_row(t, row.data(), w.data() + r * stride, s.k);
  }
  for (int64_t r = distinct; r < s.rows; ++r)
    std::copy_n(w.data() + (r % distinct) * stride, stride, w.data() + r * stride);
  return w;
}

// HEARTH_BENCH_THREADS (default 2). With 1 thread the rates use process CPU time, which
// stays meaningful on a machine shared with other jobs; with more, wall-clock time.
int bench_threads() {
  const char* e = std::getenv("HEARTH_BENCH_THREADS");
  return e ? std::max(1, std::atoi(e)) : 2;
}

ThreadPool& pool() {
  static ThreadPool p(bench_threads());
  return p;
}

bool validate(const KernelTable& table, const Matrix& m, const std::vector<float>& x, const std::vector<float>& y,
              int64_t n_tokens, std::string* err) {
  const auto& ref = kernel_table(Isa::Scalar).types[static_cast<size_t>(m.type)];
  std::vector<uint8_t> act(ref.act_type == GgmlType::F32 ? static_cast<size_t>(m.cols) * 4 : row_size(ref.act_type, m.cols));
  std::mt19937 rng(7);
  for (int i = 0; i < 48; ++i) {
    const int64_t t = static_cast<int64_t>(rng() % static_cast<uint32_t>(n_tokens));
    const int64_t r = static_cast<int64_t>(rng() % static_cast<uint32_t>(m.rows));
    const float* xt = x.data() + t * m.cols;
    if (ref.convert_act) ref.convert_act(xt, act.data(), m.cols);
    else std::copy_n(reinterpret_cast<const uint8_t*>(xt), act.size(), act.data());
    float want = 0.0f;
    ref.vec_dot(m.cols, &want, m.data + r * m.row_stride, act.data());
    const float got = y[static_cast<size_t>(t * m.rows + r)];
    if (!(std::fabs(got - want) <= 1e-3f * (std::fabs(want) + 1.0f))) {
      *err = "mismatch at row " + std::to_string(r) + " token " + std::to_string(t) + ": " + std::to_string(got) +
             " vs " + std::to_string(want) + " (" + std::string(isa_name(table.isa)) + ")";
      return false;
    }
  }
  return true;
}

// The weight repacked into the type's interleaved layout (as the model loader does).
struct PackedCopy {
  std::unique_ptr<uint8_t, void (*)(void*)> buf{nullptr, std::free};
  Matrix m;
  PackedCopy(const Matrix& rows, const TypeKernels& tk) : m(rows) {
    const size_t gs = tk.pack_group_bytes(rows.cols);
    const int64_t n_groups = rows.rows / tk.pack_rows;
    buf.reset(static_cast<uint8_t*>(std::aligned_alloc(64, gs * static_cast<size_t>(n_groups))));
    for (int64_t g = 0; g < n_groups; ++g)
      tk.pack_group(rows.cols, rows.data + g * tk.pack_rows * rows.row_stride, rows.row_stride, buf.get() + g * gs);
    m.data = buf.get();
    m.layout = Layout::Packed;
    m.group_stride = gs;
  }
};

void bm_matmul(benchmark::State& state, GgmlType type, Isa isa, Shape s, int64_t n_tokens, bool packed) {
  const auto w = make_weights(type, s);
  const Matrix m{type, w.data(), s.k, s.rows, row_size(type, s.k)};
  std::optional<PackedCopy> pc;
  if (packed) pc.emplace(m, kernel_table(isa).types[static_cast<size_t>(type)]);
  const Matrix& run_m = pc ? pc->m : m;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n_tokens * s.k));
  for (auto& v : x) v = dist(rng);
  std::vector<float> y(static_cast<size_t>(n_tokens * s.rows));
  Workspace ws;
  const Context ctx{pool(), kernel_table(isa), ws};
  matmul(ctx, run_m, x.data(), n_tokens, y.data());
  std::string err;
  if (!validate(ctx.table, m, x, y, n_tokens, &err)) {
    state.SkipWithError(err.c_str());
    return;
  }
  for (auto _ : state) {
    matmul(ctx, run_m, x.data(), n_tokens, y.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(s.rows) * static_cast<double>(s.k) * static_cast<double>(n_tokens);
  state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (n_tokens == 1)
    state.counters["GBps"] = benchmark::Counter(static_cast<double>(w.size()) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int register_all() {
  const std::vector<GgmlType> types = {GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::F16,
                                       GgmlType::BF16, GgmlType::Q5_K, GgmlType::Q3_K, GgmlType::Q2_K, GgmlType::Q5_0,
                                       GgmlType::Q4_1, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::IQ4_XS};
  // TinyLlama: attn q/o 2048x2048, ffn gate/up 5632x2048, ffn down 2048x5632.
  const std::vector<Shape> shapes = {{2048, 2048}, {5632, 2048}, {2048, 5632}};
  for (GgmlType t : types)
    for (Isa isa : supported_isas(detect_cpu_features()))
      for (Shape s : shapes)
        for (int64_t tokens : {int64_t{1}, int64_t{512}})
          for (bool packed : {false, true}) {
            // Packed variants (.../<isa>-packed/...) where the loader would pack for this ISA.
            const TypeKernels& tk = kernel_table(isa).types[static_cast<size_t>(t)];
            if (packed && (!tk.pack_preferred || s.rows % tk.pack_rows != 0)) continue;
            const bool has_gemm = packed ? tk.packed_gemm != nullptr : tk.gemm != nullptr;
            const int64_t n = (!has_gemm && tokens > 1) ? 16 : tokens;
            const std::string name = "BM_Matmul/" + std::string(type_name(t)) + "/" + std::string(isa_name(isa)) +
                                     (packed ? "-packed/" : "/") + std::to_string(s.rows) + "x" + std::to_string(s.k) +
                                     "/t" + std::to_string(n);
            auto* b = benchmark::RegisterBenchmark(name.c_str(), bm_matmul, t, isa, s, n, packed)
                          ->Unit(benchmark::kMillisecond);
            if (bench_threads() == 1) b->MeasureProcessCPUTime();
            else b->UseRealTime();
          }
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace hearth::kernels

// Packed (row-interleaved) weight layouts: pack round trip, packed kernels of every ISA
// against the row kernels of the scalar reference, and matmul on packed matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/packed.h"

namespace hearth::kernels::test {
namespace {

struct AlignedBytes {
  uint8_t* p;
  explicit AlignedBytes(size_t n) : p(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64))) {}
  ~AlignedBytes() { std::free(p); }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
};

// A QMatrix (rows a multiple of the group) packed with the type's pack function.
struct Packed {
  const TypeKernels& tk;
  size_t gs;
  AlignedBytes buf;
  Matrix m;
  Packed(const QMatrix& w, const TypeKernels& t)
      : tk(t), gs(t.pack_group_bytes(w.k)), buf(gs * static_cast<size_t>(w.rows / t.pack_rows)) {
    for (int64_t g = 0; g < w.rows / tk.pack_rows; ++g)
      tk.pack_group(w.k, w.row(g * tk.pack_rows), w.stride, buf.p + g * gs);
    m = {w.type, buf.p, w.k, w.rows, w.stride, Layout::Packed, gs};
  }
};

const TypeKernels& kernels_of(Isa isa, GgmlType t) { return kernel_table(isa).types[static_cast<size_t>(t)]; }

// Types with a packed layout, the row unpacker of their format, row lengths to test (odd block
// counts included), a row length for matmul, and whether packed_gemm must equal packed_gemv
// bit for bit (Q4_K's gemm is the row tile, with its own float order).
struct PackedType {
  GgmlType type;
  void (*unpack_row)(int64_t n, const uint8_t* group, int row, uint8_t* dst);
  std::vector<int64_t> ks;
  int64_t matmul_k;
  bool gemm_equals_gemv;
};
const PackedType kPackedTypes[] = {
    {GgmlType::Q4_0, unpack_q4_0x16_row, {32, 96, 256, 4352}, 288, true},
    {GgmlType::Q8_0, unpack_q8_0x16_row, {32, 96, 256, 4352}, 288, true},
    {GgmlType::Q4_K, unpack_q4_kx16_row, {256, 768, 2048, 5632}, 768, false},
};

TEST(Packed, RoundTrip) {
  for (const auto& pt : kPackedTypes) {
    const TypeKernels& tk = kernels_of(Isa::Scalar, pt.type);
    ASSERT_EQ(tk.pack_rows, kPackRows16);
    for (int64_t k : pt.ks) {
      const QMatrix w(pt.type, 32, k, 11u + static_cast<uint32_t>(k));
      const Packed p(w, tk);
      EXPECT_EQ(p.gs % 64, 0u);
      std::vector<uint8_t> row(w.stride);
      for (int64_t r = 0; r < w.rows; ++r) {
        pt.unpack_row(k, p.buf.p + (r / 16) * p.gs, static_cast<int>(r % 16), row.data());
        ASSERT_EQ(0, std::memcmp(row.data(), w.row(r), w.stride)) << type_name(pt.type) << " k=" << k << " row=" << r;
      }
    }
  }
}

// Every ISA's packed gemv (and gemm where present) against the scalar row vec_dot; gemm
// must equal gemv bit for bit (same per-row combination order).
TEST(Packed, KernelsMatchScalarRowDot) {
  for (const auto& pt : kPackedTypes) {
    const GgmlType type = pt.type;
    const auto ref_dot = kernels_of(Isa::Scalar, type).vec_dot;
    for (Isa isa : supported_isas(detect_cpu_features())) {
      const TypeKernels& tk = kernels_of(isa, type);
      if (!tk.packed_gemv) continue;
      for (int64_t k : pt.ks) {
        const int64_t rows = 48;
        const QMatrix w(type, rows, k, 21u + static_cast<uint32_t>(k));
        const Packed p(w, tk);
        for (int nc : {1, 3, 8, 13}) {
          const auto x = random_floats(static_cast<size_t>(nc * k), 31u + static_cast<uint32_t>(nc));
          std::vector<Act> acts;
          std::vector<uint8_t> act_rows;
          for (int c = 0; c < nc; ++c) {
            acts.emplace_back(type, x.data() + c * k, k);
            act_rows.insert(act_rows.end(), acts.back().bytes.begin(), acts.back().bytes.end());
          }
          const size_t as = acts[0].bytes.size();
          std::vector<float> gemv_out(static_cast<size_t>(nc * rows));
          for (int c = 0; c < nc; ++c) {
            // Groups one at a time from an offset, and all at once.
            tk.packed_gemv(k, 1, p.buf.p + p.gs, p.gs, act_rows.data() + c * as, gemv_out.data() + c * rows + 16);
            tk.packed_gemv(k, rows / 16, p.buf.p, p.gs, act_rows.data() + c * as, gemv_out.data() + c * rows);
            for (int64_t r = 0; r < rows; ++r) {
              float want = 0.0f;
              ref_dot(k, &want, w.row(r), acts[static_cast<size_t>(c)].bytes.data());
              const double tol = dot_tolerance(w.deq.data() + r * k, acts[static_cast<size_t>(c)].deq.data(), k);
              ASSERT_NEAR(gemv_out[static_cast<size_t>(c * rows + r)], want, tol)
                  << isa_name(isa) << " " << type_name(type) << " k=" << k << " row=" << r << " token=" << c;
            }
          }
          if (!tk.packed_gemm) continue;
          std::vector<float> gemm_out(static_cast<size_t>(nc * rows), -1.0f);
          tk.packed_gemm(k, rows / 16, nc, p.buf.p, p.gs, act_rows.data(), as, gemm_out.data(), rows);
          if (pt.gemm_equals_gemv) {
            ASSERT_EQ(gemm_out, gemv_out) << isa_name(isa) << " " << type_name(type) << " k=" << k << " nc=" << nc;
            continue;
          }
          // Otherwise gemm must equal the row tile on the file layout exactly.
          std::vector<float> tile_out(static_cast<size_t>(nc * rows), -2.0f);
          for (int64_t r0 = 0; r0 < rows; r0 += tk.gemm_rows) {
            const int nr = static_cast<int>(std::min<int64_t>(tk.gemm_rows, rows - r0));
            tk.gemm(k, nr, nc, w.row(r0), w.stride, act_rows.data(), as, tile_out.data() + r0, rows);
          }
          ASSERT_EQ(gemm_out, tile_out) << isa_name(isa) << " " << type_name(type) << " k=" << k << " nc=" << nc;
        }
      }
    }
  }
}

// matmul on a packed matrix equals matmul on the same rows in the file layout (within the
// tolerance of a different float order), for every ISA, thread count and token count, and is
// thread-count independent (Q4_K batches: equal to the file layout's matmul instead).
TEST(Packed, MatmulPackedMatchesRows) {
  ThreadPool p1(1), p2(2), p3(3);
  for (const auto& pt : kPackedTypes)
    for (Isa isa : supported_isas(detect_cpu_features())) {
      const GgmlType type = pt.type;
      const TypeKernels& tk = kernels_of(Isa::Scalar, type);
      for (int64_t rows : {16, 80, 272}) {  // 272: a partial last gemm row tile
        const int64_t k = pt.matmul_k;
        const QMatrix w(type, rows, k, 41u + static_cast<uint32_t>(rows));
        const Packed p(w, tk);
        for (int64_t n_tokens : {1, 2, 7, 33, 70}) {
          const auto x = random_floats(static_cast<size_t>(n_tokens * k), 51u + static_cast<uint32_t>(n_tokens));
          auto run = [&](ThreadPool& pool, const Matrix& m) {
            Workspace ws;
            std::vector<float> y(static_cast<size_t>(n_tokens * rows), 0.0f);
            matmul({pool, kernel_table(isa), ws}, m, x.data(), n_tokens, y.data());
            return y;
          };
          const auto want = run(p1, w.matrix());
          const auto got = run(p1, p.m);
          for (int64_t t = 0; t < n_tokens; ++t) {
            const Act act(type, x.data() + t * k, k);
            for (int64_t r = 0; r < rows; ++r) {
              const size_t i = static_cast<size_t>(t * rows + r);
              ASSERT_NEAR(got[i], want[i], dot_tolerance(w.deq.data() + r * k, act.deq.data(), k))
                  << isa_name(isa) << " " << type_name(type) << " rows=" << rows << " tokens=" << n_tokens;
            }
          }
          if (!pt.gemm_equals_gemv && n_tokens > 1 && kernels_of(isa, type).packed_gemm) {
            // Batches run the row tile on unpacked rows with the same blocking: equal to the
            // file layout's matmul for every thread count (whose tiles depend on the blocking).
            EXPECT_EQ(got, want) << isa_name(isa) << " rows=" << rows << " tokens=" << n_tokens;
            EXPECT_EQ(run(p2, p.m), run(p2, w.matrix())) << isa_name(isa) << " rows=" << rows << " tokens=" << n_tokens;
            EXPECT_EQ(run(p3, p.m), run(p3, w.matrix())) << isa_name(isa) << " rows=" << rows << " tokens=" << n_tokens;
            continue;
          }
          EXPECT_EQ(run(p2, p.m), got) << isa_name(isa) << " rows=" << rows << " tokens=" << n_tokens;
          EXPECT_EQ(run(p3, p.m), got) << isa_name(isa) << " rows=" << rows << " tokens=" << n_tokens;
        }
      }
    }
}

}  // namespace
}  // namespace hearth::kernels::test

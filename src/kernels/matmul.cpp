#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "tensor/quant.h"

namespace hearth::kernels {

uint8_t* Workspace::get(size_t bytes) {
  if (bytes > size_) {
    size_t n = std::max<size_t>(bytes, size_ * 3 / 2);
    n = (n + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, n);
    if (!p) throw std::bad_alloc();
    buf_.reset(static_cast<uint8_t*>(p));
    size_ = n;
  }
  return buf_.get();
}

namespace {

// Rows per work item for matrix-vector products: contiguous runs, several per thread so a
// thread slowed down by another process does not hold up the whole step.
int64_t row_grain(int64_t n_rows, int n_threads) {
  if (n_threads <= 1) return n_rows;
  return std::max<int64_t>(16, (n_rows + 8 * n_threads - 1) / (8 * n_threads));
}

void matmul_dequant(const Context& ctx, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  // Fallback: dequantize each weight row once and dot it with every activation row.
  HEARTH_CHECK(tensor::can_dequantize(w.type), "no kernel for {}", type_name(w.type));
  const int64_t k = w.cols, n_rows = w.rows;
  const auto dot = ctx.table.ops.dot_f32;
  ctx.pool.parallel_for(n_rows, row_grain(n_rows, ctx.pool.size()), [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      tensor::dequantize_row(w.type, w.data + r * w.row_stride, row.data(), k);
      for (int64_t t = 0; t < n_tokens; ++t) y[t * n_rows + r] = dot(row.data(), x + t * k, k);
    }
  });
}

// Cache blocking for gemm tiles: a block of up to `col_block` tokens (its converted activations
// stay in L2) meets every block of `row_block` row units (rows or packed groups) before the next
// token block starts; both threads work on the same token block. Small matrices get narrower
// token blocks so every thread has several items. tile(u0, nu, c0, nc) runs one tile.
template <typename Tile>
void for_each_tile(const Context& ctx, int64_t n_units, int64_t row_block, int64_t col_block, int64_t n_tokens,
                   const Tile& tile) {
  int64_t bc = std::min<int64_t>(col_block, n_tokens);
  const int64_t row_tiles = (n_units + row_block - 1) / row_block;
  while (bc > 8 && row_tiles * ((n_tokens + bc - 1) / bc) < 4 * ctx.pool.size()) bc /= 2;
  const int64_t col_tiles = (n_tokens + bc - 1) / bc;
  ctx.pool.parallel_for(row_tiles * col_tiles, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t u = (i % row_tiles) * row_block, c = (i / row_tiles) * bc;
      tile(u, std::min<int64_t>(row_block, n_units - u), c, std::min<int64_t>(bc, n_tokens - c));
    }
  });
}

// Matrices in the row-interleaved layout: whole groups per work item. A table without packed
// kernels for the type (an ISA whose loader would not pack) runs the scalar reference's; the
// activation format is the same for every ISA.
void matmul_packed(const Context& ctx, const Matrix& w, const uint8_t* act, size_t act_stride, int64_t n_tokens,
                   float* y) {
  const TypeKernels* pk = &ctx.table.types[static_cast<size_t>(w.type)];
  if (!pk->packed_gemv) pk = &kernel_table(Isa::Scalar).types[static_cast<size_t>(w.type)];
  HEARTH_CHECK(pk->packed_gemv && pk->pack_rows > 0 && w.rows % pk->pack_rows == 0, "no packed kernel for {}",
               type_name(w.type));
  const int64_t k = w.cols, n_rows = w.rows, gr = pk->pack_rows, n_groups = n_rows / gr;
  const size_t gs = w.group_stride;
  if (pk->packed_gemm && n_tokens > 1) {
    const int64_t bg = std::max<int64_t>(1, pk->packed_gemm_rows / gr);
    for_each_tile(ctx, n_groups, bg, pk->gemm_cols, n_tokens, [&](int64_t g, int64_t ng, int64_t c, int64_t nc) {
      pk->packed_gemm(k, ng, static_cast<int>(nc), w.data + g * gs, gs, act + c * act_stride, act_stride,
                      y + c * n_rows + g * gr, n_rows);
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(1, row_grain(n_rows, ctx.pool.size()) / gr);
  ctx.pool.parallel_for(n_groups, grain, [&](int64_t g0, int64_t g1) {
    for (int64_t t = 0; t < n_tokens; ++t)
      pk->packed_gemv(k, g1 - g0, w.data + g0 * gs, gs, act + t * act_stride, y + t * n_rows + g0 * gr);
  });
}

}  // namespace

void matmul(const Context& ctx, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  const TypeKernels& tk = ctx.table.types[static_cast<size_t>(w.type)];
  const int64_t k = w.cols;
  const int64_t n_rows = w.rows;
  if (n_tokens <= 0 || n_rows <= 0) return;
  if (!tk.vec_dot && w.layout == Layout::Rows) return matmul_dequant(ctx, w, x, n_tokens, y);

  // Convert activations once (shared by all threads).
  const void* act = x;
  size_t act_stride = static_cast<size_t>(k) * sizeof(float);
  if (tk.act_type != GgmlType::F32) {
    act_stride = row_size(tk.act_type, k);
    uint8_t* buf = ctx.ws.get(act_stride * static_cast<size_t>(n_tokens));
    ctx.pool.parallel_for(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) tk.convert_act(x + t * k, buf + t * act_stride, k);
    });
    act = buf;
  }
  const auto* act_bytes = static_cast<const uint8_t*>(act);
  if (w.layout == Layout::Packed) return matmul_packed(ctx, w, act_bytes, act_stride, n_tokens, y);

  const bool large = tk.large_gemm && n_tokens >= tk.large_gemm_min_tokens;
  const auto gemm = large ? tk.large_gemm : tk.gemm;
  if (gemm && n_tokens > 1) {
    const int64_t br = large ? tk.large_gemm_rows : tk.gemm_rows;
    const int64_t bc = large ? tk.large_gemm_cols : tk.gemm_cols;
    for_each_tile(ctx, n_rows, br, bc, n_tokens, [&](int64_t r, int64_t nr, int64_t c, int64_t nc) {
      gemm(k, static_cast<int>(nr), static_cast<int>(nc), w.data + r * w.row_stride, w.row_stride,
           act_bytes + c * act_stride, act_stride, y + c * n_rows + r, n_rows);
    });
    return;
  }

  // Matrix-vector (and kernels without a gemm tile): contiguous row runs per work item, so
  // each weight byte is read by exactly one thread.
  ctx.pool.parallel_for(n_rows, row_grain(n_rows, ctx.pool.size()), [&](int64_t r0, int64_t r1) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      const uint8_t* a = act_bytes + t * act_stride;
      float* yt = y + t * n_rows;
      for (int64_t r = r0; r < r1; ++r) tk.vec_dot(k, yt + r, w.data + r * w.row_stride, a);
    }
  });
}

}  // namespace hearth::kernels

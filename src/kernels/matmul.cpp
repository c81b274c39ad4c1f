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

void matmul(const Context& ctx, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  const TypeKernels& tk = ctx.table.types[static_cast<size_t>(w.type)];
  const int64_t k = w.cols;
  const int64_t n_rows = w.rows;

  if (!tk.vec_dot) {
    // Fallback: dequantize each weight row once and dot it with every activation row.
    HEARTH_CHECK(tensor::can_dequantize(w.type), "no kernel for {}", type_name(w.type));
    const auto dot = ctx.table.ops.dot_f32;
    ctx.pool.run([&](int ith, int nth) {
      std::vector<float> row(static_cast<size_t>(k));
      const int64_t per = (n_rows + nth - 1) / nth;
      const int64_t r0 = ith * per, r1 = std::min(n_rows, r0 + per);
      for (int64_t r = r0; r < r1; ++r) {
        tensor::dequantize_row(w.type, w.data + r * w.row_stride, row.data(), k);
        for (int64_t t = 0; t < n_tokens; ++t) y[t * n_rows + r] = dot(row.data(), x + t * k, k);
      }
    });
    return;
  }

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

  if (tk.gemm && n_tokens > 1) {
    const int br = tk.gemm_rows, bc = tk.gemm_cols;
    const int64_t row_tiles = (n_rows + br - 1) / br;
    const int64_t col_tiles = (n_tokens + bc - 1) / bc;
    // Tiles ordered row-major over weight rows so each thread streams its own weight slice.
    ctx.pool.parallel_for(row_tiles * col_tiles, 4, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t rt = i / col_tiles, ct = i % col_tiles;
        const int64_t r = rt * br, c = ct * bc;
        const int nr = static_cast<int>(std::min<int64_t>(br, n_rows - r));
        const int nc = static_cast<int>(std::min<int64_t>(bc, n_tokens - c));
        tk.gemm(k, nr, nc, w.data + r * w.row_stride, w.row_stride, act_bytes + c * act_stride, act_stride,
                y + c * n_rows + r, n_rows);
      }
    });
    return;
  }

  ctx.pool.run([&](int ith, int nth) {
    // Contiguous row slices per thread: each weight byte is read by exactly one thread.
    const int64_t per = (n_rows + nth - 1) / nth;
    const int64_t r0 = ith * per, r1 = std::min(n_rows, r0 + per);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* wr = w.data + r * w.row_stride;
      for (int64_t t = 0; t < n_tokens; ++t) tk.vec_dot(k, y + t * n_rows + r, wr, act_bytes + t * act_stride);
    }
  });
}

}  // namespace hearth::kernels

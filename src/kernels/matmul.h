#pragma once
// y = W x for a batch of activation rows, multithreaded. The weight stays in its stored
// (quantized) form; activations are converted once per call to the type's act_type.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

// Grow-only, 64-byte aligned scratch memory reused across calls (one per engine context).
class Workspace {
 public:
  uint8_t* get(size_t bytes);

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> buf_;
  size_t size_ = 0;
};

struct Context {
  ThreadPool& pool;
  const KernelTable& table;
  Workspace& ws;
};

// x: [n_tokens, w.cols] dense rows; y: [n_tokens, w.rows] dense rows.
void matmul(const Context& ctx, const Matrix& w, const float* x, int64_t n_tokens, float* y);

}  // namespace hearth::kernels

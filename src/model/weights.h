#pragma once
// Weights are views into the mmapped GGUF file (no copies), found and shape-checked through
// one manifest per architecture. Small 1-D tensors that are not F32 are widened once; matrices
// the kernels prefer in an interleaved layout are repacked once into owned buffers.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "kernels/kernels.h"
#include "model/arch.h"
#include "model/hparams.h"

namespace hearth::model {

// A 1-D float vector (norm weight, bias): points into the file when stored as F32.
struct FloatVector {
  const float* data = nullptr;
  int64_t size = 0;
  std::vector<float> owned;  // used when the stored type is not F32
  explicit operator bool() const { return data != nullptr; }
};

struct LayerWeights {
  FloatVector attn_norm;
  kernels::Matrix wq, wk, wv, wo;  // wq: [n_embd] -> [n_head * Dk], wo: [n_head * Dv] -> [n_embd]
  FloatVector bq, bk, bv, bo;      // optional biases
  FloatVector q_norm, k_norm;      // [Dk] per-head norms (qk_norm archs)
  FloatVector ffn_norm;
  kernels::Matrix ffn_gate, ffn_up, ffn_down;  // gate/up: [n_embd] -> [n_ff]
};

struct Weights {
  kernels::Matrix token_embd;  // [n_vocab rows of n_embd]
  FloatVector output_norm;
  kernels::Matrix output;  // LM head; token_embd when tied
  bool tied_output = false;
  FloatVector rope_freqs;  // optional [n_rot / 2] frequency divisors
  std::vector<LayerWeights> layers;

  // Buffers (64-byte aligned) of the matrices repacked at load (kernels::Layout::Packed).
  struct FreeBuffer {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t, FreeBuffer>> packed_buffers;
};

// Finds every tensor the architecture needs, checks types and shapes (errors name the
// tensor and show expected vs actual), and fills hp.n_vocab from token_embd.
Weights load_weights(const gguf::File& f, const ArchSpec& arch, HParams& hp);

// Rewrites the layer and output matrices whose type has a packed layout that `table` prefers
// (and whose row count is a multiple of its group) into owned packed buffers. With
// `release_file_pages` (the weights are a read-only file mapping) the pages of their file
// bytes are then given back to the OS, so resident memory stays about the model size.
// token_embd (read row by row) stays in the file layout; a tied output then does too.
// Returns the number of matrices packed.
int repack_weights(Weights& w, const kernels::KernelTable& table, bool release_file_pages);

}  // namespace hearth::model

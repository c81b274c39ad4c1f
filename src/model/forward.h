#pragma once
// The transformer forward pass shared by every architecture. One Forward object per
// engine context holds the scratch buffers; the Model stays immutable.
#include <cstdint>
#include <vector>

#include "kernels/matmul.h"
#include "model/batch.h"
#include "model/model.h"

namespace hearth::model {

class Forward {
 public:
  Forward(const Model& model, ThreadPool& pool, const kernels::KernelTable& table);

  // Runs the batch: writes K/V of every token into its sequence's cache at its position
  // and returns logits for the rows marked in want_logits, in batch order, each n_vocab
  // floats. Positions must be < cache capacity and each sequence's positions in the
  // batch must continue its cache (pos <= n_past + tokens before it in the batch).
  // Token ids are validated (hearth::Error when out of range).
  const std::vector<float>& run(const Batch& batch);

  // Final hidden states (after output norm) of rows marked in want_logits, n_embd each;
  // filled by the last run() (used for embeddings).
  const std::vector<float>& hidden() const { return hidden_out_; }

 private:
  void attention(const Batch& batch, int64_t layer);
  void rope(float* x, int64_t n_heads, int64_t pos) const;

  const Model& model_;
  ThreadPool& pool_;
  const kernels::KernelTable& table_;
  kernels::Workspace ws_;
  std::vector<float> inv_freq_;  // per rotated pair: base^(-2k/n_rot) / freq_factor
  // [n_tokens, dim] activations
  std::vector<float> x_, xn_, q_, k_, v_, attn_, ffn_g_, ffn_u_, tmp_;
  std::vector<float> logits_, hidden_out_;
};

}  // namespace hearth::model

#pragma once
// An inference context: a shared model, a thread pool, the kernels chosen for this CPU and
// the forward pass's scratch. Sequences (KV cache + tokens) are created from it.
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/forward.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace hearth::engine {

struct ContextOptions {
  int threads = 0;                 // 0: physical cores
  int64_t n_ctx = 0;               // 0: model context length capped at 4096
  int64_t n_batch = 512;           // prompt tokens per forward call
  model::KvType kv_type = model::KvType::F16;
  std::optional<kernels::Isa> isa; // default: best for this CPU
};

struct Sequence {
  explicit Sequence(model::KvCache c) : cache(std::move(c)) {}
  model::KvCache cache;
  std::vector<int32_t> tokens;  // tokens whose K/V are in the cache
};

class Context {
 public:
  Context(std::shared_ptr<const model::Model> model, const ContextOptions& options);

  const model::Model& model() const { return *model_; }
  int64_t n_ctx() const { return n_ctx_; }
  int threads() const { return pool_.size(); }
  kernels::Isa isa() const { return table_->isa; }
  ThreadPool& pool() { return pool_; }

  std::unique_ptr<Sequence> new_sequence() const;

  // Appends `tokens` to the sequence and evaluates them in micro-batches of n_batch.
  // Returns the logits of every new token when all_logits (n_vocab each, in order), else
  // of the last one. A sequence that would outgrow the context is a hearth::Error that
  // says how many tokens it has and how many fit; nothing is evaluated then.
  const std::vector<float>& eval(Sequence& seq, std::span<const int32_t> tokens, bool all_logits = false);

  // Several sequences, one new token each, in one batch (continuous batching's decode
  // step). Returns n_vocab logits per sequence, in order.
  const std::vector<float>& decode_step(std::span<Sequence* const> seqs, std::span<const int32_t> tokens);

  // Several sequences' new tokens in one forward pass: prompt chunks and single decode tokens
  // mixed (continuous batching with chunked prefill). Returns n_vocab logits for the last
  // token of each chunk, in order. Sequences must be distinct; a chunk that would outgrow
  // the context is a hearth::Error and nothing is evaluated.
  struct Chunk {
    Sequence* seq;
    std::span<const int32_t> tokens;
  };
  const std::vector<float>& step(std::span<const Chunk> chunks);

  // Final hidden states (after the output norm) of the rows the last call returned logits
  // for, n_embd each (embeddings).
  const std::vector<float>& hidden() const { return forward_.hidden(); }

  // Keeps the first n tokens of a sequence (their K/V stay valid; later ones are dropped).
  static void truncate(Sequence& seq, int64_t n);
  // A new sequence holding a copy of the first n tokens (and their K/V) of `from`.
  std::unique_ptr<Sequence> copy_prefix(const Sequence& from, int64_t n) const;

 private:
  std::shared_ptr<const model::Model> model_;
  ContextOptions options_;
  int64_t n_ctx_;
  ThreadPool pool_;
  const kernels::KernelTable* table_;
  model::Forward forward_;
  model::Batch batch_;
  std::vector<float> logits_;
};

}  // namespace hearth::engine

#pragma once
// Perplexity by llama.cpp's standard method, so the numbers are comparable with its
// perplexity tool: the whole text is tokenized once (BOS first when the vocabulary adds
// one), cut into chunks of n_ctx tokens, each chunk is evaluated as one batch in a fresh
// sequence with its first token replaced by BOS, and only the second half of each chunk is
// scored (the logits at position i predict token i+1, for i in [n_ctx/2, n_ctx-1)).
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/context.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tools {

// Running sums of per-token negative log-likelihoods. The error of the perplexity is the
// standard error of the mean NLL propagated through exp(), as llama.cpp reports it:
// ppl * sqrt((E[x²] - E[x]²) / (count - 1)).
struct NllStats {
  double sum = 0;
  double sum2 = 0;
  int64_t count = 0;

  void add(double nll);
  double mean() const;            // mean NLL (0 when empty)
  double mean_error() const;      // standard error of the mean NLL (0 with fewer than 2 values)
  double ppl() const { return count > 0 ? std::exp(mean()) : 0.0; }
  double ppl_error() const { return ppl() * mean_error(); }
};

// log(softmax(logits)[target]), accumulated in double like llama.cpp.
double log_softmax_at(std::span<const float> logits, int32_t target);
// All log-probabilities of `logits` into `out` (same size).
void log_softmax(std::span<const float> logits, std::span<float> out);

// The tokenized text cut into chunks.
struct EvalText {
  std::vector<int32_t> tokens;  // the whole text (BOS first when the vocabulary adds one)
  int64_t n_ctx = 0;            // tokens per chunk
  int64_t n_chunks = 0;         // chunks evaluated: min(requested, tokens / n_ctx)
  bool add_bos = false;         // the first token of every chunk is replaced by BOS
  int32_t bos = -1;

  int64_t first_scored() const { return n_ctx / 2; }
  int64_t scored_per_chunk() const { return n_ctx - 1 - first_scored(); }
  // The n_ctx ids of chunk `c` as evaluated (BOS in front when add_bos).
  std::vector<int32_t> chunk(int64_t c) const;
  // The tokens predicted by the scored logits of chunk `c` (scored_per_chunk() of them).
  std::span<const int32_t> targets(int64_t c) const;
};

// Tokenizes `text` and plans the chunks. max_chunks <= 0 means all. Errors (hearth::Error)
// for n_ctx < 4, for text shorter than 2·n_ctx tokens (llama.cpp's minimum) and for a
// vocabulary that appends EOS.
EvalText prepare_eval_text(const tokenizer::Tokenizer& tok, std::string_view text, int64_t n_ctx,
                           int64_t max_chunks);

// Options for the Context that evaluates chunks: the chunk fits in the context and is
// evaluated as one batch.
engine::ContextOptions chunk_context_options(engine::ContextOptions base, int64_t n_ctx);

// Evaluates chunk `c` in a fresh sequence and returns the logits of its scored positions:
// scored_per_chunk() rows of n_vocab floats.
std::vector<float> eval_scored_logits(engine::Context& ctx, const EvalText& text, int64_t c);

struct ChunkProgress {
  int64_t chunk = 0;     // 1-based
  int64_t n_chunks = 0;
  double seconds = 0;    // time for this chunk
  NllStats running;      // over every chunk so far
};

struct PerplexityResult {
  NllStats stats;
  std::vector<double> running_ppl;  // estimate after each chunk
  double seconds = 0;
};

PerplexityResult perplexity(engine::Context& ctx, const EvalText& text,
                            const std::function<void(const ChunkProgress&)>& on_chunk = {});

}  // namespace hearth::tools

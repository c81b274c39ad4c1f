#pragma once
// KL-divergence of a model's next-token distributions from a base model's on the same text,
// like llama.cpp's perplexity --kl-divergence: the same chunks and scored positions as
// perplexity (tools/perplexity.h); per scored position KL(P_base || P_quant) =
// Σ_i p_base(i)·(log p_base(i) − log p_quant(i)), and whether both models' most likely token
// is the same. The base side is either evaluated alongside or read from a log-prob file.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/context.h"
#include "tools/perplexity.h"

namespace hearth::tools {

// Base log-probabilities on disk, so the base model is evaluated once and compared with many.
// Layout (little-endian):
//   char[8]  magic "HRTHLPB1"
//   u32      n_vocab, n_ctx, n_chunks
//   u32      add_bos (0/1);  i32 bos
//   i32      tokens[n_chunks * n_ctx]      the text's tokens as tokenized (before BOS substitution)
//   f32      log_probs[n_chunks][n_ctx - 1 - n_ctx/2][n_vocab]   log-softmax at every scored position
// Full float32 log-probabilities (no compression), so a model compared with its own file
// gives a KL-divergence of exactly 0. Size: n_chunks·(n_ctx/2)·n_vocab·4 bytes.
class LogProbWriter {
 public:
  LogProbWriter(const std::filesystem::path& path, const EvalText& text, int64_t n_vocab);
  ~LogProbWriter();
  LogProbWriter(const LogProbWriter&) = delete;
  LogProbWriter& operator=(const LogProbWriter&) = delete;
  // The next chunk's log-probs: scored_per_chunk() · n_vocab floats.
  void write_chunk(std::span<const float> log_probs);
  // Flushes and checks every chunk was written; errors name the file.
  void finish();

 private:
  std::filesystem::path path_;
  std::FILE* f_ = nullptr;
  int64_t expected_ = 0, written_ = 0, row_floats_ = 0;
};

class LogProbReader {
 public:
  // Validates the header and the file size; errors (hearth::Error) name the file.
  explicit LogProbReader(const std::filesystem::path& path);
  ~LogProbReader();
  LogProbReader(const LogProbReader&) = delete;
  LogProbReader& operator=(const LogProbReader&) = delete;

  const EvalText& text() const { return text_; }
  int64_t n_vocab() const { return n_vocab_; }
  // Log-probs of chunk `c` (scored_per_chunk() · n_vocab floats).
  std::vector<float> read_chunk(int64_t c);

 private:
  std::filesystem::path path_;
  std::FILE* f_ = nullptr;
  EvalText text_;
  int64_t n_vocab_ = 0;
  uint64_t data_offset_ = 0;
};

// Per-token statistics of the comparison.
class KldStats {
 public:
  // One scored position: the base model's log-probs, the other model's logits, the actual
  // next token. Returns the KL-divergence of that position.
  double add(std::span<const float> base_log_probs, std::span<const float> logits, int32_t target);
  // Adds results computed elsewhere (e.g. in parallel), in order.
  struct Token {
    double kld = 0, nll = 0, nll_base = 0;
    bool same_top = false;
  };
  static Token compare(std::span<const float> base_log_probs, std::span<const float> logits, int32_t target);
  void add(const Token& t);

  int64_t count() const { return static_cast<int64_t>(kld_.size()); }
  double mean() const;
  double mean_error() const;  // standard error of the mean
  double median() const { return percentile(0.5); }
  // Linear interpolation between the sorted values; fraction in [0, 1].
  double percentile(double fraction) const;
  double max() const { return percentile(1.0); }
  double top1_agreement() const;        // fraction of positions with the same most likely token
  double top1_agreement_error() const;  // binomial standard error
  const NllStats& nll() const { return nll_; }            // the compared model's perplexity
  const NllStats& nll_base() const { return nll_base_; }  // the base model's perplexity

 private:
  std::vector<double> kld_;
  mutable std::vector<double> sorted_;
  double sum_ = 0, sum2_ = 0;
  int64_t same_top_ = 0;
  NllStats nll_, nll_base_;
};

// The scored log-probs of chunk `c` under the model in `ctx` (eval_scored_logits + log_softmax).
std::vector<float> scored_log_probs(engine::Context& ctx, const EvalText& text, int64_t c);

// Evaluates every chunk with the base model, writes its log-probs, and returns its perplexity.
PerplexityResult save_base_log_probs(engine::Context& ctx, const EvalText& text, LogProbWriter& out,
                                     const std::function<void(const ChunkProgress&)>& on_chunk = {});

struct KldProgress {
  int64_t chunk = 0;  // 1-based
  int64_t n_chunks = 0;
  double seconds = 0;
  const KldStats* stats = nullptr;  // over every chunk so far
};

// Compares the model in `ctx` with base log-probs given per chunk by `base_chunk(c)`.
KldStats kl_divergence(engine::Context& ctx, const EvalText& text,
                       const std::function<std::vector<float>(int64_t c)>& base_chunk,
                       const std::function<void(const KldProgress&)>& on_chunk = {});

}  // namespace hearth::tools

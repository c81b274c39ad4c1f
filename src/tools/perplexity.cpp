#include "tools/perplexity.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace hearth::tools {

void NllStats::add(double nll) {
  sum += nll;
  sum2 += nll * nll;
  ++count;
}

double NllStats::mean() const { return count > 0 ? sum / static_cast<double>(count) : 0.0; }

double NllStats::mean_error() const {
  if (count < 2) return 0.0;
  const double m = mean();
  const double var = sum2 / static_cast<double>(count) - m * m;
  return var > 0 ? std::sqrt(var / static_cast<double>(count - 1)) : 0.0;
}

double log_softmax_at(std::span<const float> logits, int32_t target) {
  HEARTH_CHECK(!logits.empty() && target >= 0 && static_cast<size_t>(target) < logits.size());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum_exp = 0;
  for (float l : logits) sum_exp += std::exp(l - max_logit);
  return static_cast<double>(logits[static_cast<size_t>(target)] - max_logit) - std::log(sum_exp);
}

void log_softmax(std::span<const float> logits, std::span<float> out) {
  HEARTH_CHECK(!logits.empty() && out.size() == logits.size());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum_exp = 0;
  for (float l : logits) sum_exp += std::exp(l - max_logit);
  const double log_norm = static_cast<double>(max_logit) + std::log(sum_exp);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(logits[i] - log_norm);
}

std::vector<int32_t> EvalText::chunk(int64_t c) const {
  HEARTH_CHECK(c >= 0 && c < n_chunks);
  const auto begin = tokens.begin() + c * n_ctx;
  std::vector<int32_t> ids(begin, begin + n_ctx);
  if (add_bos) ids[0] = bos;
  return ids;
}

std::span<const int32_t> EvalText::targets(int64_t c) const {
  HEARTH_CHECK(c >= 0 && c < n_chunks);
  return std::span<const int32_t>(tokens).subspan(static_cast<size_t>(c * n_ctx + first_scored() + 1),
                                                  static_cast<size_t>(scored_per_chunk()));
}

EvalText prepare_eval_text(const tokenizer::Tokenizer& tok, std::string_view text, int64_t n_ctx,
                           int64_t max_chunks) {
  if (n_ctx < 4) fail("the context must hold at least 4 tokens (got --ctx {})", n_ctx);
  if (tok.add_eos_default())
    fail("the vocabulary appends EOS to every text; perplexity chunks need plain text tokens");
  EvalText t;
  t.n_ctx = n_ctx;
  t.add_bos = tok.add_bos_default();
  t.bos = tok.bos();
  if (t.add_bos && t.bos < 0) fail("the vocabulary asks for BOS but has no BOS token");
  t.tokens = tok.encode(text, t.add_bos, /*parse_special=*/false);
  const auto n = static_cast<int64_t>(t.tokens.size());
  if (n < 2 * n_ctx)
    fail("the text has {} tokens; perplexity with a context of {} needs at least {} (2 chunks)", n, n_ctx,
         2 * n_ctx);
  t.n_chunks = n / n_ctx;
  if (max_chunks > 0) t.n_chunks = std::min(t.n_chunks, max_chunks);
  return t;
}

engine::ContextOptions chunk_context_options(engine::ContextOptions base, int64_t n_ctx) {
  base.n_ctx = n_ctx;
  base.n_batch = n_ctx;  // one chunk, one batch
  return base;
}

std::vector<float> eval_scored_logits(engine::Context& ctx, const EvalText& text, int64_t c) {
  if (ctx.n_ctx() < text.n_ctx)
    fail("the context holds {} tokens but chunks have {}", ctx.n_ctx(), text.n_ctx);
  const int64_t n_vocab = ctx.model().hparams().n_vocab;
  const auto ids = text.chunk(c);
  auto seq = ctx.new_sequence();
  const auto& logits = ctx.eval(*seq, ids, /*all_logits=*/true);
  HEARTH_CHECK(static_cast<int64_t>(logits.size()) == text.n_ctx * n_vocab);
  const auto begin = logits.begin() + text.first_scored() * n_vocab;
  return std::vector<float>(begin, begin + text.scored_per_chunk() * n_vocab);
}

PerplexityResult perplexity(engine::Context& ctx, const EvalText& text,
                            const std::function<void(const ChunkProgress&)>& on_chunk) {
  const int64_t n_vocab = ctx.model().hparams().n_vocab;
  for (int32_t id : text.tokens)
    if (id < 0 || id >= n_vocab) fail("token id {} is out of range for a model with {} tokens", id, n_vocab);
  PerplexityResult r;
  const auto t_all = std::chrono::steady_clock::now();
  std::vector<double> nll(static_cast<size_t>(text.scored_per_chunk()));
  for (int64_t c = 0; c < text.n_chunks; ++c) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto logits = eval_scored_logits(ctx, text, c);
    const auto targets = text.targets(c);
    // Per-token NLLs in parallel, summed in order so the result does not depend on threads.
    ctx.pool().parallel_for(static_cast<int64_t>(nll.size()), 4, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        const std::span<const float> row(logits.data() + i * n_vocab, static_cast<size_t>(n_vocab));
        nll[static_cast<size_t>(i)] = -log_softmax_at(row, targets[static_cast<size_t>(i)]);
      }
    });
    for (double v : nll) r.stats.add(v);
    r.running_ppl.push_back(r.stats.ppl());
    if (on_chunk)
      on_chunk({c + 1, text.n_chunks, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                r.stats});
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  return r;
}

}  // namespace hearth::tools

#include "engine/context.h"

#include <algorithm>

#include "core/cpu_features.h"
#include "core/error.h"

namespace hearth::engine {
namespace {

int resolve_threads(int requested) { return requested > 0 ? requested : physical_core_count(); }

const kernels::KernelTable* resolve_table(const std::optional<kernels::Isa>& isa) {
  const CpuFeatures cpu = detect_cpu_features();
  if (!isa) return &kernels::kernel_table(kernels::best_isa(cpu));
  const auto ok = kernels::supported_isas(cpu);
  if (std::find(ok.begin(), ok.end(), *isa) == ok.end())
    fail("this CPU does not support the {} kernels ({})", kernels::isa_name(*isa), cpu.describe());
  return &kernels::kernel_table(*isa);
}

}  // namespace

Context::Context(std::shared_ptr<const model::Model> model, const ContextOptions& options)
    : model_(std::move(model)),
      options_(options),
      n_ctx_(options.n_ctx > 0 ? options.n_ctx : std::min<int64_t>(model_->hparams().n_ctx_train, 4096)),
      pool_(resolve_threads(options.threads)),
      table_(resolve_table(options.isa)),
      forward_(*model_, pool_, *table_) {
  if (options_.n_batch <= 0) fail("batch size must be positive (got {})", options_.n_batch);
  if (n_ctx_ <= 0) fail("context size must be positive (got {})", n_ctx_);
}

std::unique_ptr<Sequence> Context::new_sequence() const {
  return std::make_unique<Sequence>(model::KvCache(model_->hparams(), n_ctx_, options_.kv_type));
}

const std::vector<float>& Context::eval(Sequence& seq, std::span<const int32_t> tokens, bool all_logits) {
  const int64_t n_vocab = model_->hparams().n_vocab;
  const int64_t have = static_cast<int64_t>(seq.tokens.size());
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (have + n > n_ctx_) {
    if (have == 0)
      fail("the prompt has {} tokens but the context holds {} (raise --ctx-size)", n, n_ctx_);
    fail("the sequence would have {} tokens but the context holds {}", have + n, n_ctx_);
  }
  for (int32_t t : tokens)
    if (t < 0 || t >= n_vocab) fail("token id {} is out of range (vocabulary has {} tokens)", t, n_vocab);
  logits_.clear();
  if (all_logits) logits_.reserve(static_cast<size_t>(n * n_vocab));
  for (int64_t start = 0; start < n; start += options_.n_batch) {
    const int64_t end = std::min(n, start + options_.n_batch);
    batch_.clear();
    for (int64_t i = start; i < end; ++i)
      batch_.add(tokens[static_cast<size_t>(i)], have + i, &seq.cache, all_logits || i == n - 1);
    const auto& out = forward_.run(batch_);
    logits_.insert(logits_.end(), out.begin(), out.end());
    seq.tokens.insert(seq.tokens.end(), tokens.begin() + start, tokens.begin() + end);
    seq.cache.n_past = static_cast<int64_t>(seq.tokens.size());
  }
  return logits_;
}

const std::vector<float>& Context::decode_step(std::span<Sequence* const> seqs, std::span<const int32_t> tokens) {
  HEARTH_CHECK(seqs.size() == tokens.size());
  batch_.clear();
  for (size_t i = 0; i < seqs.size(); ++i) {
    Sequence& s = *seqs[i];
    const int64_t pos = static_cast<int64_t>(s.tokens.size());
    if (pos >= n_ctx_) fail("the context of {} tokens is full", n_ctx_);
    batch_.add(tokens[i], pos, &s.cache, true);
  }
  const auto& out = forward_.run(batch_);
  for (size_t i = 0; i < seqs.size(); ++i) {
    seqs[i]->tokens.push_back(tokens[i]);
    seqs[i]->cache.n_past = static_cast<int64_t>(seqs[i]->tokens.size());
  }
  logits_.assign(out.begin(), out.end());
  return logits_;
}

const std::vector<float>& Context::step(std::span<const Chunk> chunks) {
  const int64_t n_vocab = model_->hparams().n_vocab;
  for (const Chunk& c : chunks) {
    const int64_t have = static_cast<int64_t>(c.seq->tokens.size());
    if (have + static_cast<int64_t>(c.tokens.size()) > n_ctx_)
      fail("the sequence would have {} tokens but the context holds {}", have + static_cast<int64_t>(c.tokens.size()), n_ctx_);
    for (int32_t t : c.tokens)
      if (t < 0 || t >= n_vocab) fail("token id {} is out of range (vocabulary has {} tokens)", t, n_vocab);
  }
  batch_.clear();
  for (const Chunk& c : chunks) {
    const int64_t have = static_cast<int64_t>(c.seq->tokens.size());
    for (size_t i = 0; i < c.tokens.size(); ++i)
      batch_.add(c.tokens[i], have + static_cast<int64_t>(i), &c.seq->cache, i + 1 == c.tokens.size());
  }
  const auto& out = forward_.run(batch_);
  for (const Chunk& c : chunks) {
    c.seq->tokens.insert(c.seq->tokens.end(), c.tokens.begin(), c.tokens.end());
    c.seq->cache.n_past = static_cast<int64_t>(c.seq->tokens.size());
  }
  logits_.assign(out.begin(), out.end());
  return logits_;
}

void Context::truncate(Sequence& seq, int64_t n) {
  if (n < 0 || n > static_cast<int64_t>(seq.tokens.size())) fail("cannot truncate a sequence of {} tokens to {}", seq.tokens.size(), n);
  seq.tokens.resize(static_cast<size_t>(n));
  seq.cache.n_past = n;
}

std::unique_ptr<Sequence> Context::copy_prefix(const Sequence& from, int64_t n) const {
  auto seq = new_sequence();
  seq->cache.copy_prefix_from(from.cache, n);
  seq->tokens.assign(from.tokens.begin(), from.tokens.begin() + n);
  seq->cache.n_past = n;
  return seq;
}

}  // namespace hearth::engine

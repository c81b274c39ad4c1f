#include "tools/kld.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace hearth::tools {
namespace {

static_assert(std::endian::native == std::endian::little, "the log-prob file is written in host order");

constexpr char kMagic[8] = {'H', 'R', 'T', 'H', 'L', 'P', 'B', '1'};
constexpr uint32_t kMaxVocab = 1u << 24;
constexpr uint32_t kMaxCtx = 1u << 22;

void write_all(std::FILE* f, const void* data, size_t bytes, const std::filesystem::path& path) {
  if (bytes > 0 && std::fwrite(data, 1, bytes, f) != bytes) fail("{}: write failed: {}", path.string(), std::strerror(errno));
}

void read_all(std::FILE* f, void* data, size_t bytes, const std::filesystem::path& path, const char* what) {
  if (bytes > 0 && std::fread(data, 1, bytes, f) != bytes) fail("{}: truncated log-prob file (reading {})", path.string(), what);
}

template <typename T>
void put(std::FILE* f, T v, const std::filesystem::path& path) {
  write_all(f, &v, sizeof v, path);
}

template <typename T>
T get(std::FILE* f, const std::filesystem::path& path, const char* what) {
  T v{};
  read_all(f, &v, sizeof v, path, what);
  return v;
}

}  // namespace

// ---- file ----

LogProbWriter::LogProbWriter(const std::filesystem::path& path, const EvalText& text, int64_t n_vocab)
    : path_(path), expected_(text.n_chunks), row_floats_(text.scored_per_chunk() * n_vocab) {
  HEARTH_CHECK(n_vocab > 0 && n_vocab <= kMaxVocab && text.n_ctx <= kMaxCtx && text.n_chunks > 0);
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) fail("{}: cannot create the log-prob file: {}", path.string(), std::strerror(errno));
  write_all(f_, kMagic, sizeof kMagic, path_);
  put<uint32_t>(f_, static_cast<uint32_t>(n_vocab), path_);
  put<uint32_t>(f_, static_cast<uint32_t>(text.n_ctx), path_);
  put<uint32_t>(f_, static_cast<uint32_t>(text.n_chunks), path_);
  put<uint32_t>(f_, text.add_bos ? 1u : 0u, path_);
  put<int32_t>(f_, text.bos, path_);
  write_all(f_, text.tokens.data(), static_cast<size_t>(text.n_chunks * text.n_ctx) * sizeof(int32_t), path_);
}

LogProbWriter::~LogProbWriter() {
  if (f_) std::fclose(f_);
}

void LogProbWriter::write_chunk(std::span<const float> log_probs) {
  HEARTH_CHECK(f_ && written_ < expected_ && static_cast<int64_t>(log_probs.size()) == row_floats_);
  write_all(f_, log_probs.data(), log_probs.size_bytes(), path_);
  ++written_;
}

void LogProbWriter::finish() {
  HEARTH_CHECK(f_ && written_ == expected_);
  const bool ok = std::fflush(f_) == 0 && std::ferror(f_) == 0;
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (!ok || rc != 0) fail("{}: write failed: {}", path_.string(), std::strerror(errno));
}

LogProbReader::LogProbReader(const std::filesystem::path& path) : path_(path) {
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) fail("{}: cannot open the log-prob file: {}", path.string(), std::strerror(errno));
  char magic[8];
  read_all(f_, magic, sizeof magic, path_, "the header");
  if (std::memcmp(magic, kMagic, sizeof magic) != 0)
    fail("{}: not a hearth log-prob file (made by hearth kld --save-base)", path.string());
  const auto n_vocab = get<uint32_t>(f_, path_, "n_vocab");
  const auto n_ctx = get<uint32_t>(f_, path_, "n_ctx");
  const auto n_chunks = get<uint32_t>(f_, path_, "n_chunks");
  const auto add_bos = get<uint32_t>(f_, path_, "add_bos");
  const auto bos = get<int32_t>(f_, path_, "bos");
  if (n_vocab == 0 || n_vocab > kMaxVocab) fail("{}: bad n_vocab {}", path.string(), n_vocab);
  if (n_ctx < 4 || n_ctx > kMaxCtx) fail("{}: bad n_ctx {}", path.string(), n_ctx);
  if (n_chunks == 0) fail("{}: the file holds no chunks", path.string());
  if (add_bos > 1 || (add_bos && (bos < 0 || static_cast<uint32_t>(bos) >= n_vocab)))
    fail("{}: bad BOS settings (add_bos {}, bos {})", path.string(), add_bos, bos);
  text_.n_ctx = n_ctx;
  text_.n_chunks = n_chunks;
  text_.add_bos = add_bos == 1;
  text_.bos = bos;
  n_vocab_ = n_vocab;
  // Check the size before allocating anything the header asks for.
  const uint64_t n_tokens = uint64_t{n_chunks} * n_ctx;
  data_offset_ = sizeof kMagic + 5 * 4 + n_tokens * 4;
  const uint64_t expected = data_offset_ + uint64_t{n_chunks} * static_cast<uint64_t>(text_.scored_per_chunk()) * n_vocab * 4;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size != expected)
    fail("{}: the file has {} bytes but its header (n_vocab {}, n_ctx {}, n_chunks {}) needs {}", path.string(),
         ec ? 0 : size, n_vocab, n_ctx, n_chunks, expected);
  text_.tokens.resize(n_tokens);
  read_all(f_, text_.tokens.data(), n_tokens * 4, path_, "the tokens");
  for (int32_t t : text_.tokens)
    if (t < 0 || static_cast<uint32_t>(t) >= n_vocab) fail("{}: token id {} is out of range", path.string(), t);
}

LogProbReader::~LogProbReader() {
  if (f_) std::fclose(f_);
}

std::vector<float> LogProbReader::read_chunk(int64_t c) {
  HEARTH_CHECK(c >= 0 && c < text_.n_chunks);
  const int64_t n = text_.scored_per_chunk() * n_vocab_;
  const uint64_t offset = data_offset_ + static_cast<uint64_t>(c) * static_cast<uint64_t>(n) * 4;
  if (fseeko(f_, static_cast<off_t>(offset), SEEK_SET) != 0) fail("{}: seek failed", path_.string());
  std::vector<float> out(static_cast<size_t>(n));
  read_all(f_, out.data(), out.size() * 4, path_, "log-probs");
  return out;
}

// ---- statistics ----

KldStats::Token KldStats::compare(std::span<const float> base_log_probs, std::span<const float> logits, int32_t target) {
  HEARTH_CHECK(base_log_probs.size() == logits.size() && !logits.empty());
  HEARTH_CHECK(target >= 0 && static_cast<size_t>(target) < logits.size());
  // log_softmax of the compared model, in double.
  const auto top = std::max_element(logits.begin(), logits.end());
  const float max_logit = *top;
  double sum_exp = 0;
  for (float l : logits) sum_exp += std::exp(l - max_logit);
  const double log_norm = static_cast<double>(max_logit) + std::log(sum_exp);
  Token t;
  size_t top_base = 0;
  double kld = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double lp_base = base_log_probs[i];
    if (lp_base > base_log_probs[top_base]) top_base = i;
    // Rounded to float exactly as log_softmax() rounds the stored base log-probs, so a model
    // compared with its own log-probs gives exactly 0.
    const double lp = static_cast<float>(static_cast<double>(logits[i]) - log_norm);
    kld += std::exp(lp_base) * (lp_base - lp);
  }
  t.kld = kld;
  t.nll = log_norm - static_cast<double>(logits[static_cast<size_t>(target)]);
  t.nll_base = -static_cast<double>(base_log_probs[static_cast<size_t>(target)]);
  t.same_top = top_base == static_cast<size_t>(top - logits.begin());
  return t;
}

double KldStats::add(std::span<const float> base_log_probs, std::span<const float> logits, int32_t target) {
  const Token t = compare(base_log_probs, logits, target);
  add(t);
  return t.kld;
}

void KldStats::add(const Token& t) {
  kld_.push_back(t.kld);
  sorted_.clear();
  sum_ += t.kld;
  sum2_ += t.kld * t.kld;
  same_top_ += t.same_top;
  nll_.add(t.nll);
  nll_base_.add(t.nll_base);
}

double KldStats::mean() const { return kld_.empty() ? 0.0 : sum_ / static_cast<double>(kld_.size()); }

double KldStats::mean_error() const {
  const auto n = static_cast<double>(kld_.size());
  if (kld_.size() < 2) return 0.0;
  const double m = mean(), var = sum2_ / n - m * m;
  return var > 0 ? std::sqrt(var / (n - 1)) : 0.0;
}

double KldStats::percentile(double fraction) const {
  if (kld_.empty()) return 0.0;
  if (sorted_.size() != kld_.size()) {
    sorted_ = kld_;
    std::sort(sorted_.begin(), sorted_.end());
  }
  fraction = std::clamp(fraction, 0.0, 1.0);
  const double p = fraction * static_cast<double>(sorted_.size() - 1);
  const auto lo = static_cast<size_t>(p);
  const size_t hi = std::min(lo + 1, sorted_.size() - 1);
  const double w = p - static_cast<double>(lo);
  return (1 - w) * sorted_[lo] + w * sorted_[hi];
}

double KldStats::top1_agreement() const {
  return kld_.empty() ? 0.0 : static_cast<double>(same_top_) / static_cast<double>(kld_.size());
}

double KldStats::top1_agreement_error() const {
  if (kld_.size() < 2) return 0.0;
  const double p = top1_agreement();
  return std::sqrt(p * (1 - p) / static_cast<double>(kld_.size() - 1));
}

// ---- evaluation ----

std::vector<float> scored_log_probs(engine::Context& ctx, const EvalText& text, int64_t c) {
  auto rows = eval_scored_logits(ctx, text, c);
  const int64_t n_vocab = ctx.model().hparams().n_vocab;
  ctx.pool().parallel_for(text.scored_per_chunk(), 4, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) {
      const std::span<float> row(rows.data() + i * n_vocab, static_cast<size_t>(n_vocab));
      log_softmax(row, row);
    }
  });
  return rows;
}

PerplexityResult save_base_log_probs(engine::Context& ctx, const EvalText& text, LogProbWriter& out,
                                     const std::function<void(const ChunkProgress&)>& on_chunk) {
  const int64_t n_vocab = ctx.model().hparams().n_vocab;
  PerplexityResult r;
  const auto t_all = std::chrono::steady_clock::now();
  std::vector<double> nll(static_cast<size_t>(text.scored_per_chunk()));
  for (int64_t c = 0; c < text.n_chunks; ++c) {
    const auto t0 = std::chrono::steady_clock::now();
    auto rows = eval_scored_logits(ctx, text, c);
    const auto targets = text.targets(c);
    ctx.pool().parallel_for(text.scored_per_chunk(), 4, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        const std::span<float> row(rows.data() + i * n_vocab, static_cast<size_t>(n_vocab));
        nll[static_cast<size_t>(i)] = -log_softmax_at(row, targets[static_cast<size_t>(i)]);
        log_softmax(row, row);
      }
    });
    for (double v : nll) r.stats.add(v);
    r.running_ppl.push_back(r.stats.ppl());
    out.write_chunk(rows);
    if (on_chunk)
      on_chunk({c + 1, text.n_chunks, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                r.stats});
  }
  out.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  return r;
}

KldStats kl_divergence(engine::Context& ctx, const EvalText& text,
                       const std::function<std::vector<float>(int64_t c)>& base_chunk,
                       const std::function<void(const KldProgress&)>& on_chunk) {
  const int64_t n_vocab = ctx.model().hparams().n_vocab;
  for (int32_t id : text.tokens)
    if (id < 0 || id >= n_vocab) fail("token id {} is out of range for a model with {} tokens", id, n_vocab);
  KldStats stats;
  std::vector<KldStats::Token> tokens(static_cast<size_t>(text.scored_per_chunk()));
  for (int64_t c = 0; c < text.n_chunks; ++c) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto base = base_chunk(c);
    if (static_cast<int64_t>(base.size()) != text.scored_per_chunk() * n_vocab)
      fail("the base log-probs have {} values per chunk but this model needs {} ({} positions x {} tokens): "
           "are the vocabularies the same?",
           base.size(), text.scored_per_chunk() * n_vocab, text.scored_per_chunk(), n_vocab);
    const auto logits = eval_scored_logits(ctx, text, c);
    const auto targets = text.targets(c);
    ctx.pool().parallel_for(text.scored_per_chunk(), 4, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        const size_t off = static_cast<size_t>(i * n_vocab), n = static_cast<size_t>(n_vocab);
        tokens[static_cast<size_t>(i)] = KldStats::compare(std::span<const float>(base).subspan(off, n),
                                                           std::span<const float>(logits).subspan(off, n),
                                                           targets[static_cast<size_t>(i)]);
      }
    });
    for (const auto& t : tokens) stats.add(t);
    if (on_chunk)
      on_chunk({c + 1, text.n_chunks, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                &stats});
  }
  return stats;
}

}  // namespace hearth::tools

#include "engine/scheduler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "engine/stop_strings.h"
#include "sampling/grammar_vocab.h"
#include "sampling/sampler.h"
#include "tokenizer/streaming_decoder.h"

namespace hearth::engine {
namespace {
using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
}  // namespace

struct Scheduler::Slot {
  Slot(Pending p, const tokenizer::Tokenizer& tok, std::shared_ptr<const sampling::grammar::TokenTrie> vocab)
      : job(std::move(p.job)),
        handle(std::move(p.handle)),
        submitted(p.submitted),
        sampler(job.sampler, job.sampler.grammar.empty() ? nullptr : std::move(vocab)),
        decoder(tok),
        stops(job.stop) {}

  Job job;
  std::shared_ptr<JobHandle> handle;
  Clock::time_point submitted, started, prefilled;
  std::unique_ptr<Sequence> seq;
  sampling::Sampler sampler;
  tokenizer::StreamingDecoder decoder;
  StopStrings stops;
  size_t prompt_done = 0;  // prompt tokens whose K/V are in seq
  int32_t next = -1;       // sampled token to evaluate at the next step (decode phase)
  std::vector<StreamToken> unsent;
  JobResult result;
  bool done = false;
};

Scheduler::Scheduler(std::shared_ptr<const model::Model> model, tokenizer::Tokenizer tok, const ContextOptions& ctx_options,
                     const SchedulerOptions& options)
    : model_(std::move(model)), tok_(std::move(tok)), options_(options) {
  if (options_.parallel < 1) fail("--parallel must be at least 1 (got {})", options_.parallel);
  if (options_.batch_tokens < options_.parallel) options_.batch_tokens = options_.parallel;
  ctx_ = std::make_unique<Context>(model_, ctx_options);
  n_ctx_ = ctx_->n_ctx();
  cache_ = std::make_unique<PrefixCache>(options_.prefix_cache);
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<JobHandle> Scheduler::submit(Job job) {
  HEARTH_CHECK(!job.prompt.empty(), "empty prompt");
  auto handle = std::make_shared<JobHandle>();
  {
    std::lock_guard lock(mu_);
    const int64_t free_slots = options_.parallel - running_;
    if (static_cast<int64_t>(pending_.size()) >= options_.queue_limit + std::max<int64_t>(free_slots, 0))
      throw QueueFull(fmt::format("the request queue is full ({} waiting)", pending_.size()));
    pending_.push_back({std::move(job), handle, Clock::now()});
  }
  wake_.notify_all();
  return handle;
}

std::vector<float> Scheduler::embed(std::vector<int32_t> tokens) {
  std::future<std::vector<float>> f;
  {
    std::lock_guard lock(mu_);
    embeds_.push_back({std::move(tokens), {}});
    f = embeds_.back().result.get_future();
  }
  wake_.notify_all();
  return f.get();
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s;
  {
    std::lock_guard lock(mu_);
    s.queued = static_cast<int64_t>(pending_.size());
  }
  s.active = active_.load();
  s.kv_cells = kv_cells_.load();
  s.prompt_tokens = prompt_tokens_.load();
  s.cached_tokens = cached_tokens_.load();
  s.generated_tokens = generated_tokens_.load();
  return s;
}

void Scheduler::run() {
  for (;;) {
    std::vector<Pending> admitted;
    std::deque<EmbedTask> embeds;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty() || !embeds_.empty() || !slots_.empty(); });
      if (stopping_) {
        for (auto& p : pending_) {
          JobResult r;
          r.stop = StopReason::Cancelled;
          r.error = "the server is shutting down";
          if (p.job.on_done) p.job.on_done(r);
        }
        pending_.clear();
        for (auto& e : embeds_) e.result.set_exception(std::make_exception_ptr(Error("the server is shutting down")));
        embeds_.clear();
        break;
      }
      embeds.swap(embeds_);
      while (!pending_.empty() && static_cast<int>(slots_.size() + admitted.size()) < options_.parallel) {
        admitted.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      running_ += static_cast<int64_t>(admitted.size());
    }
    for (auto& e : embeds) run_embed(e);
    for (auto& p : admitted) start_slot(std::move(p));
    if (!slots_.empty()) step();
    std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) {
      if (!s->done) return false;
      cache_->release(std::move(s->seq));
      return true;
    });
    active_.store(static_cast<int64_t>(slots_.size()));
    {
      std::lock_guard lock(mu_);
      running_ = static_cast<int64_t>(slots_.size());
    }
    int64_t cells = cache_->cached_tokens();
    for (const auto& s : slots_) cells += static_cast<int64_t>(s->seq->tokens.size());
    kv_cells_.store(cells);
  }
  for (auto& s : slots_)
    if (!s->done) finish(*s, StopReason::Cancelled, "the server is shutting down");
  slots_.clear();
}

void Scheduler::start_slot(Pending p) {
  auto fail_job = [&](Job& job, const std::string& msg) {
    JobResult r;
    r.error = msg;
    r.n_prompt = static_cast<int64_t>(job.prompt.size());
    if (job.on_done) job.on_done(r);
  };
  if (static_cast<int64_t>(p.job.prompt.size()) >= n_ctx_) {
    fail_job(p.job, fmt::format("the prompt has {} tokens but the context holds {}", p.job.prompt.size(), n_ctx_));
    return;
  }
  try {
    if (!p.job.sampler.grammar.empty() && !grammar_vocab_) grammar_vocab_ = sampling::grammar_vocab(tok_);
    auto slot = std::make_unique<Slot>(std::move(p), tok_, grammar_vocab_);
    slot->started = Clock::now();
    slot->result.n_prompt = static_cast<int64_t>(slot->job.prompt.size());
    slot->result.seed = slot->job.sampler.seed;
    slot->result.n_ctx = n_ctx_;
    slot->result.queue_ms = ms_between(slot->submitted, slot->started);
    slot->sampler.accept_prompt(slot->job.prompt);
    int64_t reused = 0;
    slot->seq = cache_->acquire(*ctx_, slot->job.prompt, reused);
    slot->prompt_done = static_cast<size_t>(reused);
    slot->result.n_cached = reused;
    cached_tokens_ += reused;
    slots_.push_back(std::move(slot));
  } catch (const std::exception& e) {
    fail_job(p.job, e.what());
  }
}

void Scheduler::step() {
  // Cancelled jobs leave before the batch is built.
  for (auto& s : slots_)
    if (!s->done && s->handle->cancelled()) finish(*s, StopReason::Cancelled);

  std::vector<Context::Chunk> chunks;
  std::vector<Slot*> owners;
  int64_t budget = options_.batch_tokens;
  for (auto& s : slots_) {  // decode tokens first: every running sequence advances each step
    if (s->done || s->next < 0) continue;
    chunks.push_back({s->seq.get(), std::span<const int32_t>(&s->next, 1)});
    owners.push_back(s.get());
    --budget;
  }
  for (auto& s : slots_) {  // then prompt chunks, oldest job first, in what budget is left
    if (s->done || s->next >= 0 || budget <= 0) continue;
    const size_t left = s->job.prompt.size() - s->prompt_done;
    const size_t n = std::min<size_t>(left, static_cast<size_t>(budget));
    chunks.push_back({s->seq.get(), std::span<const int32_t>(s->job.prompt.data() + s->prompt_done, n)});
    owners.push_back(s.get());
    budget -= static_cast<int64_t>(n);
  }
  if (chunks.empty()) return;

  try {
    const auto& logits = ctx_->step(chunks);
    const auto n_vocab = static_cast<size_t>(model_->hparams().n_vocab);
    for (size_t i = 0; i < owners.size(); ++i) {
      Slot& s = *owners[i];
      if (s.next < 0) {
        s.prompt_done += chunks[i].tokens.size();
        prompt_tokens_ += static_cast<int64_t>(chunks[i].tokens.size());
        if (s.prompt_done < s.job.prompt.size()) continue;
        s.prefilled = Clock::now();
        s.result.prompt_ms = ms_between(s.started, s.prefilled);
      }
      sample(s, std::span<const float>(logits.data() + i * n_vocab, n_vocab));
    }
  } catch (const std::exception& e) {
    for (Slot* s : owners)
      if (!s->done) finish(*s, StopReason::Cancelled, e.what());
  }
}

void Scheduler::sample(Slot& s, std::span<const float> logits) {
  if (s.job.max_tokens >= 0 && s.result.n_generated >= s.job.max_tokens) return finish(s, StopReason::MaxTokens);
  StreamToken t{0, {}};
  t.id = s.sampler.sample(logits, s.job.probs ? &t.probs : nullptr, s.job.n_probs);
  if (s.result.n_generated == 0) s.result.ttft_ms = ms_between(s.submitted, Clock::now());
  if (tok_.is_eog(t.id)) return finish(s, StopReason::EndOfGeneration);
  s.sampler.accept(t.id);
  const int32_t id = t.id;
  const int64_t index = s.result.n_generated++;
  ++generated_tokens_;
  s.unsent.push_back(std::move(t));
  std::string text;
  for (auto& piece : s.stops.push(s.decoder.push(id), index)) text += piece.text;
  if (!text.empty()) {
    Delta d{std::move(text), std::move(s.unsent)};
    s.unsent.clear();
    if (s.job.on_delta && !s.job.on_delta(std::move(d))) return finish(s, StopReason::Cancelled);
  }
  if (s.stops.stopped()) {
    s.result.stop_string = s.stops.matched();
    return finish(s, StopReason::StopString);
  }
  if (s.sampler.grammar_finished()) return finish(s, StopReason::EndOfGeneration);
  if (s.job.max_tokens >= 0 && s.result.n_generated >= s.job.max_tokens) return finish(s, StopReason::MaxTokens);
  if (static_cast<int64_t>(s.seq->tokens.size()) >= n_ctx_) return finish(s, StopReason::ContextFull);
  s.next = id;  // evaluated at the next step
}

void Scheduler::finish(Slot& s, StopReason why, std::string error) {
  if (s.done) return;
  s.done = true;
  s.result.stop = why;
  s.result.error = std::move(error);
  const auto now = Clock::now();
  if (s.prefilled != Clock::time_point{}) s.result.predicted_ms = ms_between(s.prefilled, now);
  else s.result.prompt_ms = ms_between(s.started, now);
  if (why != StopReason::Cancelled && s.result.error.empty()) {
    std::string text;
    if (!s.stops.stopped()) {
      for (auto& piece : s.stops.push(s.decoder.flush(), s.result.n_generated - 1)) text += piece.text;
      for (auto& piece : s.stops.flush()) text += piece.text;
      if (s.stops.stopped()) {
        s.result.stop = StopReason::StopString;
        s.result.stop_string = s.stops.matched();
      }
    }
    if ((!text.empty() || !s.unsent.empty()) && s.job.on_delta) s.job.on_delta({std::move(text), std::move(s.unsent)});
  }
  if (s.job.on_done) s.job.on_done(s.result);
}

void Scheduler::run_embed(EmbedTask& task) {
  try {
    if (task.tokens.empty()) fail("nothing to embed: the input has no tokens");
    if (static_cast<int64_t>(task.tokens.size()) > n_ctx_)
      fail("the input has {} tokens but the context holds {}", task.tokens.size(), n_ctx_);
    const auto n_embd = static_cast<size_t>(model_->hparams().n_embd);
    std::vector<double> sum(n_embd, 0.0);
    auto seq = ctx_->new_sequence();
    constexpr size_t kChunk = 32;  // every row's logits are computed too: keep chunks small
    for (size_t start = 0; start < task.tokens.size(); start += kChunk) {
      const size_t n = std::min(kChunk, task.tokens.size() - start);
      ctx_->eval(*seq, std::span<const int32_t>(task.tokens.data() + start, n), true);
      const auto& h = ctx_->hidden();
      for (size_t r = 0; r < n; ++r)
        for (size_t j = 0; j < n_embd; ++j) sum[j] += h[r * n_embd + j];
    }
    double norm = 0;
    for (double& v : sum) {
      v /= static_cast<double>(task.tokens.size());
      norm += v * v;
    }
    norm = std::sqrt(norm);
    std::vector<float> out(n_embd);
    for (size_t j = 0; j < n_embd; ++j) out[j] = static_cast<float>(norm > 0 ? sum[j] / norm : 0.0);
    prompt_tokens_ += static_cast<int64_t>(task.tokens.size());
    task.result.set_value(std::move(out));
  } catch (...) {
    task.result.set_exception(std::current_exception());
  }
}

}  // namespace hearth::engine

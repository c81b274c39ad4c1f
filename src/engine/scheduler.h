#pragma once
// Continuous batching: one thread owns a Context and decodes up to `parallel` sequences
// together. A submitted job joins the running batch at the next step; its prompt is evaluated
// in chunks that share each forward pass with the other sequences' decode tokens, so one long
// prompt does not stall everyone's tokens. Each sequence has its own sampler chain (grammar,
// penalties, seed), stop strings and UTF-8 streaming. Finished sequences go to a prefix
// cache (see prefix_cache.h).
//
// Results are delivered through the job's callbacks, called on the scheduler thread; they
// must be quick (push into a queue) and must not call back into the scheduler.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/context.h"
#include "engine/generate.h"
#include "engine/prefix_cache.h"
#include "sampling/grammar/token_trie.h"
#include "sampling/params.h"
#include "sampling/token_probs.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct SchedulerOptions {
  int parallel = 4;            // sequences decoded together
  int queue_limit = 64;        // jobs waiting for a free slot before submit() refuses
  size_t prefix_cache = 8;     // finished sequences kept for prefix reuse (0: off)
  int64_t batch_tokens = 256;  // tokens per forward pass (decode tokens + prompt chunks)
};

struct StreamToken {
  int32_t id;
  sampling::TokenProbs probs;  // filled when the job asked for probabilities
};

// Text that became final, with the tokens generated since the last delta.
struct Delta {
  std::string text;
  std::vector<StreamToken> tokens;
};

struct JobResult {
  StopReason stop = StopReason::MaxTokens;
  std::string stop_string;
  std::string error;  // non-empty: the job failed (nothing more follows)
  int64_t n_prompt = 0;
  int64_t n_cached = 0;  // prompt tokens whose KV came from the prefix cache
  int64_t n_generated = 0;
  double queue_ms = 0, prompt_ms = 0, predicted_ms = 0, ttft_ms = 0;
  uint64_t seed = 0;
  int64_t n_ctx = 0;
};

struct Job {
  std::vector<int32_t> prompt;  // non-empty, shorter than the context
  int64_t max_tokens = -1;      // < 0: until end of generation or a full context
  sampling::SamplerParams sampler;
  std::vector<std::string> stop;
  bool probs = false;  // fill StreamToken::probs
  size_t n_probs = 0;  // alternatives per token
  // Called on the scheduler thread. on_delta returning false cancels the job.
  std::function<bool(Delta&&)> on_delta;
  std::function<void(const JobResult&)> on_done;  // exactly once
};

// Lets the submitter cancel (e.g. on client disconnect); the slot is freed at the next step.
class JobHandle {
 public:
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct SchedulerStats {
  int64_t queued = 0;
  int64_t active = 0;
  int64_t kv_cells = 0;  // tokens held in KV caches (active sequences and the prefix cache)
  int64_t prompt_tokens = 0;     // evaluated (cache hits excluded), since start
  int64_t cached_tokens = 0;     // reused from the prefix cache, since start
  int64_t generated_tokens = 0;  // since start
};

class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<const model::Model> model, tokenizer::Tokenizer tok, const ContextOptions& ctx_options,
            const SchedulerOptions& options);
  ~Scheduler();  // cancels whatever is still running and joins the thread
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; throws QueueFull when queue_limit jobs are already waiting.
  std::shared_ptr<JobHandle> submit(Job job);
  // Mean-pooled, L2-normalised final hidden states of `tokens` (run on the scheduler thread
  // between steps). Errors (too long, bad ids) are rethrown here.
  std::vector<float> embed(std::vector<int32_t> tokens);

  SchedulerStats stats() const;
  int64_t n_ctx() const { return n_ctx_; }
  int parallel() const { return options_.parallel; }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }

 private:
  struct Slot;
  struct Pending {
    Job job;
    std::shared_ptr<JobHandle> handle;
    std::chrono::steady_clock::time_point submitted;
  };
  struct EmbedTask {
    std::vector<int32_t> tokens;
    std::promise<std::vector<float>> result;
  };

  void run();
  void start_slot(Pending p);
  void step();
  void sample(Slot& s, std::span<const float> logits);
  void finish(Slot& s, StopReason why, std::string error = {});
  void run_embed(EmbedTask& task);

  std::shared_ptr<const model::Model> model_;
  tokenizer::Tokenizer tok_;
  SchedulerOptions options_;
  int64_t n_ctx_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  std::deque<EmbedTask> embeds_;
  bool stopping_ = false;
  int64_t running_ = 0;  // jobs holding a slot (admitted, not yet finished)

  // Scheduler thread only (counters mirrored into atomics for stats()).
  std::unique_ptr<Context> ctx_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<PrefixCache> cache_;
  std::shared_ptr<const sampling::grammar::TokenTrie> grammar_vocab_;
  std::atomic<int64_t> active_{0}, kv_cells_{0}, prompt_tokens_{0}, cached_tokens_{0}, generated_tokens_{0};

  std::thread thread_;
};

}  // namespace hearth::engine

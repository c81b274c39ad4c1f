#pragma once
// One generation request on a loaded model, seen from an HTTP handler thread: the prompt is
// tokenized and checked against the context (never truncated silently), the job goes to the
// model's scheduler, and deltas come back through a thread-safe channel. Destroying the
// Generation cancels the job (client gone), which frees its sequence at the next step.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/scheduler.h"
#include "server/model_registry.h"
#include "server/request_options.h"

namespace hearth::server {

// Holds a model loaded for the duration of a request; its keep_alive applies afterwards.
class ModelLease {
 public:
  ModelLease(std::shared_ptr<LoadedModel> m, std::chrono::milliseconds keep_alive) : m_(std::move(m)), keep_alive_(keep_alive) {}
  ~ModelLease() { m_->end_use(keep_alive_); }
  ModelLease(const ModelLease&) = delete;
  ModelLease& operator=(const ModelLease&) = delete;
  LoadedModel& operator*() const { return *m_; }
  LoadedModel* operator->() const { return m_.get(); }
  const std::shared_ptr<LoadedModel>& shared() const { return m_; }

 private:
  std::shared_ptr<LoadedModel> m_;
  std::chrono::milliseconds keep_alive_;
};

// Prompt text -> tokens. A prompt that does not fit the context (leaving room for at least
// one generated token) is a 400 saying how many tokens it has and how many fit, unless
// `truncate`, which keeps its end (and the BOS token).
std::vector<int32_t> tokenize_prompt(const LoadedModel& m, const std::string& text, bool parse_special, bool truncate,
                                     int64_t max_tokens);

class Generation {
 public:
  // Submits the job; a full queue is a 503 HttpError.
  Generation(LoadedModel& m, std::vector<int32_t> prompt, const GenOptions& options);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  enum class Next { Delta, Done, Timeout };
  // The next delta, the end (result() is then set) or nothing within `timeout`.
  Next next(engine::Delta& out, std::chrono::milliseconds timeout);
  // Waits for the end, collecting every delta.
  std::vector<engine::Delta> collect();
  void cancel() { handle_->cancel(); }
  const engine::JobResult& result() const { return *result_; }
  int64_t n_prompt() const { return n_prompt_; }
  uint64_t seed() const { return seed_; }

 private:
  struct Channel {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<engine::Delta> deltas;
    std::optional<engine::JobResult> done;
  };
  std::shared_ptr<Channel> ch_;
  std::shared_ptr<engine::JobHandle> handle_;
  std::optional<engine::JobResult> result_;
  int64_t n_prompt_ = 0;
  uint64_t seed_ = 0;
};

// engine::StopReason as OpenAI's finish_reason ("stop", "length"); a full context is "length"
// with hearth.stop_reason "context_full".
std::string finish_reason(engine::StopReason r);

// One token's probabilities in OpenAI's logprobs.content shape (plus "entropy", in nats):
// the model's own distribution (softmax of the raw logits), before any sampler step.
json token_logprob(const tokenizer::Tokenizer& tok, const engine::StreamToken& t);

}  // namespace hearth::server

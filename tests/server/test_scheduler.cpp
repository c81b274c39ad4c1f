// The continuous-batching scheduler in process: batched output equals single-sequence
// generation, prefix reuse, cancellation, a full context, queue limits, embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <future>

#include "engine/generate.h"
#include "engine/scheduler.h"
#include "model/model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

using namespace hearth;

namespace {

struct Fixture {
  std::shared_ptr<const model::Model> model = model::Model::load(test::model_path("stories260K.gguf"));
  tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_gguf(model->file());
};

Fixture& fixture() {
  static Fixture f;  // loaded once per test binary; read-only
  return f;
}

engine::ContextOptions ctx_options(int64_t n_ctx = 256) {
  engine::ContextOptions o;
  o.threads = 2;
  o.n_ctx = n_ctx;
  return o;
}

sampling::SamplerParams greedy() {
  sampling::SamplerParams p;
  p.temperature = 0;
  return p;
}

struct Outcome {
  std::string text;
  engine::JobResult result;
  size_t deltas = 0;
};

// Submits and returns a future for the whole outcome.
std::future<Outcome> submit(engine::Scheduler& s, const std::string& prompt, int64_t max_tokens,
                            sampling::SamplerParams sp = greedy(), std::shared_ptr<engine::JobHandle>* handle = nullptr) {
  auto state = std::make_shared<std::pair<Outcome, std::promise<Outcome>>>();
  auto fut = state->second.get_future();
  engine::Job job;
  job.prompt = fixture().tok.encode(prompt, true, false);
  job.max_tokens = max_tokens;
  job.sampler = sp;
  job.on_delta = [state](engine::Delta&& d) {
    state->first.text += d.text;
    ++state->first.deltas;
    return true;
  };
  job.on_done = [state](const engine::JobResult& r) {
    state->first.result = r;
    state->second.set_value(state->first);
  };
  auto h = s.submit(std::move(job));
  if (handle) *handle = h;
  return fut;
}

std::string solo(const std::string& prompt, int64_t max_tokens, int64_t n_ctx = 256) {
  engine::Context ctx(fixture().model, ctx_options(n_ctx));
  engine::GenerateRequest req;
  req.prompt = prompt;
  req.max_tokens = max_tokens;
  req.sampler = greedy();
  std::string out;
  engine::generate(ctx, fixture().tok, req, [&](std::string_view t) {
    out += t;
    return true;
  });
  return out;
}

const std::vector<std::string> kPrompts = {"Once upon a time", "The little dog", "Lily wanted to", "One day, a bird",
                                           "Tom and Sam", "The sun was", "A big red ball", "Mom said"};

}  // namespace

TEST(Scheduler, ConcurrentSequencesMatchSingleSequenceGeneration) {
  engine::SchedulerOptions so;
  so.parallel = 4;  // 8 jobs: half wait and join the running batch as others finish
  so.batch_tokens = 8;  // small: prompts are split over several steps, next to decode tokens
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(), so);
  std::vector<std::future<Outcome>> futures;
  for (size_t i = 0; i < kPrompts.size(); ++i) futures.push_back(submit(s, kPrompts[i], 24 + static_cast<int64_t>(i) * 3));
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const Outcome o = futures[i].get();
    SCOPED_TRACE(kPrompts[i]);
    EXPECT_TRUE(o.result.error.empty()) << o.result.error;
    EXPECT_EQ(o.text, solo(kPrompts[i], 24 + static_cast<int64_t>(i) * 3));
    EXPECT_GT(o.result.n_generated, 0);
    EXPECT_GT(o.deltas, 1u);  // streamed, not delivered at the end
  }
}

TEST(Scheduler, PrefixCacheReusesKvAndKeepsOutput) {
  engine::SchedulerOptions so;
  so.parallel = 2;
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(), so);
  const std::string base = "Once upon a time, there was a little girl named Lily. She loved to play outside";
  const Outcome first = submit(s, base, 8).get();
  EXPECT_EQ(first.result.n_cached, 0);
  const std::string longer = base + " with her friends in the park.";
  const Outcome second = submit(s, longer, 16).get();
  const auto base_tokens = static_cast<int64_t>(fixture().tok.encode(base, true, false).size());
  EXPECT_GE(second.result.n_cached, base_tokens - 1);
  EXPECT_LT(second.result.n_cached, second.result.n_prompt);
  EXPECT_EQ(second.text, solo(longer, 16));
  // The very same prompt again: everything but the last token comes from the cache.
  const Outcome third = submit(s, longer, 16).get();
  EXPECT_EQ(third.result.n_cached, third.result.n_prompt - 1);
  EXPECT_EQ(third.text, second.text);
  EXPECT_GT(s.stats().cached_tokens, 0);
}

TEST(Scheduler, CancelFreesTheSlot) {
  engine::SchedulerOptions so;
  so.parallel = 1;
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(), so);
  std::shared_ptr<engine::JobHandle> h;
  auto fut = submit(s, "Once upon a time", -1, greedy(), &h);
  h->cancel();
  const Outcome o = fut.get();
  EXPECT_EQ(o.result.stop, engine::StopReason::Cancelled);
  // The single slot is free again.
  const Outcome next = submit(s, "Once upon a time", 4).get();
  EXPECT_EQ(next.result.n_generated, 4);
  EXPECT_EQ(next.result.stop, engine::StopReason::MaxTokens);
}

TEST(Scheduler, ReportsAFullContext) {
  engine::SchedulerOptions so;
  so.parallel = 2;
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(48), so);
  sampling::SamplerParams sp = greedy();
  sp.logit_bias.push_back({fixture().tok.eos(), -INFINITY});  // never stops by itself
  const Outcome o = submit(s, "Once upon a time", -1, sp).get();
  EXPECT_EQ(o.result.stop, engine::StopReason::ContextFull);
  // The context holds every token but the last generated one, which is never evaluated.
  EXPECT_EQ(o.result.n_prompt + o.result.n_generated, 49);
}

TEST(Scheduler, PromptLongerThanTheContextFails) {
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(16), {});
  std::string prompt;
  for (int i = 0; i < 20; ++i) prompt += "Once upon a time ";
  const Outcome o = submit(s, prompt, 4).get();
  EXPECT_NE(o.result.error.find("tokens but the context holds 16"), std::string::npos) << o.result.error;
}

TEST(Scheduler, QueueLimitRefusesWhenFull) {
  engine::SchedulerOptions so;
  so.parallel = 1;
  so.queue_limit = 0;
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(), so);
  std::shared_ptr<engine::JobHandle> h;
  auto first = submit(s, "Once upon a time", -1, greedy(), &h);
  EXPECT_THROW(submit(s, "The little dog", 4), engine::QueueFull);
  h->cancel();
  first.get();
}

TEST(Scheduler, EmbeddingsAreNormalisedMeanStates) {
  engine::Scheduler s(fixture().model, fixture().tok, ctx_options(), {});
  const auto a = s.embed(fixture().tok.encode("Once upon a time", true, false));
  const auto b = s.embed(fixture().tok.encode("Once upon a time", true, false));
  const auto c = s.embed(fixture().tok.encode("The cat sat on the mat and slept", true, false));
  ASSERT_EQ(a.size(), static_cast<size_t>(fixture().model->hparams().n_embd));
  double norm = 0, dot = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    norm += a[i] * a[i];
    dot += a[i] * c[i];
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);
  EXPECT_EQ(a, b);
  EXPECT_LT(dot, 0.9999);
  EXPECT_THROW(s.embed({}), Error);
}

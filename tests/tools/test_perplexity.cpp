// Perplexity as llama.cpp's perplexity tool computes it: the statistics by hand, the chunk
// plan, and the real model against llama.cpp's published figures (shared/README.md).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "model/model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tools/perplexity.h"

using namespace hearth;

namespace {

TEST(NllStats, PerplexityAndErrorAsLlamaCpp) {
  tools::NllStats s;
  for (double v : {1.0, 2.0, 3.0}) s.add(v);
  // mean 2, E[x²] - E[x]² = 14/3 - 4 = 2/3, standard error sqrt((2/3) / 2).
  EXPECT_DOUBLE_EQ(s.mean(), 2.0);
  EXPECT_NEAR(s.mean_error(), std::sqrt(1.0 / 3.0), 1e-12);
  EXPECT_NEAR(s.ppl(), std::exp(2.0), 1e-12);
  EXPECT_NEAR(s.ppl_error(), std::exp(2.0) * std::sqrt(1.0 / 3.0), 1e-12);
}

TEST(NllStats, EmptyAndSingle) {
  tools::NllStats s;
  EXPECT_EQ(s.ppl(), 0.0);
  s.add(0.5);
  EXPECT_NEAR(s.ppl(), std::exp(0.5), 1e-12);
  EXPECT_EQ(s.ppl_error(), 0.0);
}

TEST(LogSoftmax, KnownValues) {
  const std::vector<float> logits{0.0f, static_cast<float>(std::log(3.0)), -1e4f};
  EXPECT_NEAR(tools::log_softmax_at(logits, 0), std::log(0.25), 1e-6);
  EXPECT_NEAR(tools::log_softmax_at(logits, 1), std::log(0.75), 1e-6);
  std::vector<float> out(3);
  tools::log_softmax(logits, out);
  EXPECT_NEAR(out[0], std::log(0.25), 1e-6);
  EXPECT_NEAR(out[1], std::log(0.75), 1e-6);
  EXPECT_LT(out[2], -9000);
  // Shift invariance: adding a constant to every logit changes nothing.
  const std::vector<float> shifted{100.0f, 100.0f + static_cast<float>(std::log(3.0)), -9900.0f};
  EXPECT_NEAR(tools::log_softmax_at(shifted, 1), std::log(0.75), 1e-5);
}

class StoriesPerplexity : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test::model_path("stories260K.gguf");
    if (!std::filesystem::exists(path_)) GTEST_SKIP() << "missing " << path_;
    model_ = model::Model::load(path_);
    tok_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_gguf(model_->file()));
  }
  std::string data(const std::string& name) { return test::read_file(test::shared_dir() / "data" / name); }

  double run(const std::string& file, int64_t n_ctx, int64_t chunks, double* err, int64_t* n_chunks) {
    const auto text = tools::prepare_eval_text(*tok_, data(file), n_ctx, chunks);
    engine::ContextOptions o;
    o.threads = 2;
    engine::Context ctx(model_, tools::chunk_context_options(o, n_ctx));
    int64_t calls = 0;
    const auto r = tools::perplexity(ctx, text, [&](const tools::ChunkProgress& p) {
      ++calls;
      EXPECT_EQ(p.chunk, calls);
      EXPECT_EQ(p.running.count, calls * text.scored_per_chunk());
    });
    EXPECT_EQ(calls, text.n_chunks);
    EXPECT_EQ(r.running_ppl.size(), static_cast<size_t>(text.n_chunks));
    EXPECT_DOUBLE_EQ(r.running_ppl.back(), r.stats.ppl());
    *err = r.stats.ppl_error();
    *n_chunks = text.n_chunks;
    return r.stats.ppl();
  }

  std::filesystem::path path_;
  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tok_;
};

TEST_F(StoriesPerplexity, ChunkPlanFollowsLlamaCpp) {
  const auto text = tools::prepare_eval_text(*tok_, data("tinystories_sample.txt"), 128, 0);
  ASSERT_TRUE(text.add_bos);
  EXPECT_EQ(text.tokens.front(), tok_->bos());
  EXPECT_EQ(text.n_chunks, static_cast<int64_t>(text.tokens.size()) / 128);
  EXPECT_EQ(text.n_chunks, 14);  // llama.cpp's reference run used all 14 chunks
  EXPECT_EQ(text.first_scored(), 64);
  EXPECT_EQ(text.scored_per_chunk(), 63);
  for (int64_t c = 0; c < text.n_chunks; ++c) {
    const auto ids = text.chunk(c);
    ASSERT_EQ(ids.size(), 128u);
    EXPECT_EQ(ids[0], tok_->bos());
    EXPECT_EQ(ids[1], text.tokens[static_cast<size_t>(c * 128 + 1)]);
    const auto t = text.targets(c);
    ASSERT_EQ(t.size(), 63u);
    EXPECT_EQ(t[0], text.tokens[static_cast<size_t>(c * 128 + 65)]);
    EXPECT_EQ(t.back(), text.tokens[static_cast<size_t>(c * 128 + 127)]);
  }
  EXPECT_EQ(tools::prepare_eval_text(*tok_, data("tinystories_sample.txt"), 128, 3).n_chunks, 3);
}

TEST_F(StoriesPerplexity, ShortTextIsAClearError) {
  try {
    tools::prepare_eval_text(*tok_, "Once upon a time", 128, 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs at least 256"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tools::prepare_eval_text(*tok_, "", 128, 0), Error);
  EXPECT_THROW(tools::prepare_eval_text(*tok_, data("tinystories_sample.txt"), 2, 0), Error);
}

// llama.cpp: tinystories_sample.txt, n_ctx 128, all 14 chunks: PPL = 6.8457 ± 0.7422.
TEST_F(StoriesPerplexity, MatchesLlamaCppOnTinyStories) {
  double err = 0;
  int64_t n = 0;
  const double ppl = run("tinystories_sample.txt", 128, 0, &err, &n);
  EXPECT_EQ(n, 14);
  EXPECT_NEAR(ppl, 6.8457, 6.8457 * 0.005);
  EXPECT_NEAR(err, 0.7422, 0.7422 * 0.02);
}

// llama.cpp: wiki.test.raw, n_ctx 256, first 50 chunks: PPL = 103.7495 ± 5.0290.
TEST_F(StoriesPerplexity, MatchesLlamaCppOnWikiText) {
  double err = 0;
  int64_t n = 0;
  const double ppl = run("wiki.test.raw", 256, 50, &err, &n);
  EXPECT_EQ(n, 50);
  EXPECT_NEAR(ppl, 103.7495, 103.7495 * 0.005);
  EXPECT_NEAR(err, 5.0290, 5.0290 * 0.02);
}

// Threads split the work differently but compute the same thing.
TEST_F(StoriesPerplexity, ThreadCountDoesNotChangeTheResult) {
  const auto text = tools::prepare_eval_text(*tok_, data("tinystories_sample.txt"), 128, 4);
  double ppl[2];
  for (int threads : {1, 2}) {
    engine::ContextOptions o;
    o.threads = threads;
    engine::Context ctx(model_, tools::chunk_context_options(o, 128));
    ppl[threads - 1] = tools::perplexity(ctx, text).stats.ppl();
  }
  EXPECT_NEAR(ppl[0], ppl[1], 1e-4 * ppl[0]);
}

}  // namespace

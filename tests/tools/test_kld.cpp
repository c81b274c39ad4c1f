// KL-divergence: the per-token statistic by hand, the log-prob file (round trip and damaged
// files), and the ordering a quantization ladder must show on the tiny-llama-spm fixtures.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "model/model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tools/kld.h"

using namespace hearth;

namespace {

std::vector<float> log_probs_of(const std::vector<float>& logits) {
  std::vector<float> out(logits.size());
  tools::log_softmax(logits, out);
  return out;
}

TEST(KldStats, KnownDivergence) {
  // base p = (1/2, 1/2), compared q = (1/4, 3/4): KL = ½ln(2) + ½ln(2/3) = ½ln(4/3).
  const auto base = log_probs_of({0.0f, 0.0f});
  const std::vector<float> q{0.0f, static_cast<float>(std::log(3.0))};
  const auto t = tools::KldStats::compare(base, q, 1);
  EXPECT_NEAR(t.kld, 0.5 * std::log(4.0 / 3.0), 1e-6);
  EXPECT_NEAR(t.nll, -std::log(0.75), 1e-6);
  EXPECT_NEAR(t.nll_base, std::log(2.0), 1e-6);
  EXPECT_FALSE(t.same_top);  // base: id 0 (first of a tie); q: id 1
}

TEST(KldStats, IdenticalDistributionsGiveExactlyZero) {
  const std::vector<float> logits{1.5f, -2.0f, 0.25f, 7.0f, 3.0f};
  const auto t = tools::KldStats::compare(log_probs_of(logits), logits, 2);
  EXPECT_EQ(t.kld, 0.0);
  EXPECT_TRUE(t.same_top);
  EXPECT_NEAR(t.nll, t.nll_base, 1e-6);
}

TEST(KldStats, SummaryStatistics) {
  tools::KldStats s;
  for (double v : {0.4, 0.1, 0.3, 0.2, 1.0}) s.add({v, 1.0, 1.0, v < 0.35});
  EXPECT_EQ(s.count(), 5);
  EXPECT_NEAR(s.mean(), 0.4, 1e-12);
  EXPECT_NEAR(s.median(), 0.3, 1e-12);
  EXPECT_NEAR(s.max(), 1.0, 1e-12);
  EXPECT_NEAR(s.percentile(0.0), 0.1, 1e-12);
  // sorted 0.1 0.2 0.3 0.4 1.0: the 90th percentile sits at index 3.6.
  EXPECT_NEAR(s.percentile(0.9), 0.4 + 0.6 * 0.6, 1e-12);
  EXPECT_NEAR(s.top1_agreement(), 0.6, 1e-12);
  EXPECT_NEAR(s.top1_agreement_error(), std::sqrt(0.6 * 0.4 / 4), 1e-12);
  s.add({0.0, 1.0, 1.0, true});  // percentiles follow new values
  EXPECT_NEAR(s.percentile(0.0), 0.0, 1e-12);
}

tools::EvalText small_text() {
  tools::EvalText t;
  t.n_ctx = 8;
  t.n_chunks = 2;
  t.add_bos = true;
  t.bos = 1;
  t.tokens = {1, 5, 6, 7, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7};
  return t;
}

TEST(LogProbFile, RoundTrip) {
  test::TempDir dir;
  const auto path = dir.path() / "base.logprobs";
  const auto text = small_text();
  const int64_t n_vocab = 10, rows = text.scored_per_chunk();  // 8 - 1 - 4 = 3
  ASSERT_EQ(rows, 3);
  std::vector<std::vector<float>> chunks;
  {
    tools::LogProbWriter w(path, text, n_vocab);
    for (int c = 0; c < 2; ++c) {
      std::vector<float> v(static_cast<size_t>(rows * n_vocab));
      for (size_t i = 0; i < v.size(); ++i) v[i] = -0.01f * static_cast<float>(i + 100 * c);
      w.write_chunk(v);
      chunks.push_back(v);
    }
    w.finish();
  }
  tools::LogProbReader r(path);
  EXPECT_EQ(r.n_vocab(), n_vocab);
  EXPECT_EQ(r.text().n_ctx, 8);
  EXPECT_EQ(r.text().n_chunks, 2);
  EXPECT_TRUE(r.text().add_bos);
  EXPECT_EQ(r.text().bos, 1);
  EXPECT_EQ(r.text().tokens, text.tokens);
  EXPECT_EQ(r.read_chunk(1), chunks[1]);
  EXPECT_EQ(r.read_chunk(0), chunks[0]);
}

void expect_error(const std::filesystem::path& p, const std::string& needle) {
  try {
    tools::LogProbReader r(p);
    FAIL() << "no error for " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(LogProbFile, DamagedFilesAreClearErrors) {
  test::TempDir dir;
  const auto good = dir.path() / "good.logprobs";
  {
    tools::LogProbWriter w(good, small_text(), 10);
    std::vector<float> v(30, -1.0f);
    w.write_chunk(v);
    w.write_chunk(v);
    w.finish();
  }
  const std::string bytes = test::read_file(good);
  auto write = [&](const std::string& name, const std::string& content) {
    const auto p = dir.path() / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  };
  expect_error(dir.path() / "missing.logprobs", "cannot open");
  expect_error(write("empty", ""), "truncated");
  expect_error(write("magic", "GGUFxxxx" + bytes.substr(8)), "not a hearth log-prob file");
  expect_error(write("short", bytes.substr(0, bytes.size() - 4)), "needs");
  expect_error(write("long", bytes + "x"), "needs");
  std::string huge = bytes;
  const uint32_t chunks = 0x7fffffff;
  std::memcpy(huge.data() + 16, &chunks, 4);  // n_chunks: must not allocate what the header says
  expect_error(write("huge", huge), "needs");
  std::string bad_token = bytes;
  const int32_t id = 99;
  std::memcpy(bad_token.data() + 28, &id, 4);  // the first token
  expect_error(write("token", bad_token), "out of range");
}

// The quantization ladder of the shared tiny-llama-spm fixtures (made by llama-quantize).
class TinyLlamaKld : public ::testing::Test {
 protected:
  void SetUp() override {
    base_path_ = test::model_path("tiny-llama-spm.F32.gguf");
    if (!std::filesystem::exists(base_path_)) GTEST_SKIP() << "missing " << base_path_;
    base_ = model::Model::load(base_path_);
    const auto tok = tokenizer::Tokenizer::from_gguf(base_->file());
    text_ = tools::prepare_eval_text(tok, test::read_file(test::shared_dir() / "data" / "tinystories_sample.txt"), 64, 6);
    opts_.threads = 2;
    opts_ = tools::chunk_context_options(opts_, 64);
    engine::Context ctx(base_, opts_);
    for (int64_t c = 0; c < text_.n_chunks; ++c) base_lp_.push_back(tools::scored_log_probs(ctx, text_, c));
  }

  tools::KldStats against(const std::string& file) {
    auto m = model::Model::load(test::model_path(file));
    engine::Context ctx(m, opts_);
    return tools::kl_divergence(ctx, text_, [&](int64_t c) { return base_lp_[static_cast<size_t>(c)]; });
  }

  std::filesystem::path base_path_;
  std::shared_ptr<const model::Model> base_;
  tools::EvalText text_;
  engine::ContextOptions opts_;
  std::vector<std::vector<float>> base_lp_;
};

TEST_F(TinyLlamaKld, SelfIsZeroAndQuantizationLadderIsOrdered) {
  ASSERT_EQ(text_.n_chunks, 6);
  const auto self = against("tiny-llama-spm.F32.gguf");
  EXPECT_EQ(self.count(), 6 * text_.scored_per_chunk());
  EXPECT_EQ(self.mean(), 0.0);
  EXPECT_EQ(self.max(), 0.0);
  EXPECT_EQ(self.top1_agreement(), 1.0);
  EXPECT_NEAR(self.nll().ppl(), self.nll_base().ppl(), 1e-6 * self.nll().ppl());  // stored log-probs are floats

  const auto q8 = against("tiny-llama-spm.Q8_0.gguf");
  const auto q4 = against("tiny-llama-spm.Q4_0.gguf");
  const auto q2 = against("tiny-llama-spm.Q2_K.gguf");
  EXPECT_GT(q8.mean(), 0.0);
  EXPECT_LT(q8.mean(), q4.mean());
  EXPECT_LT(q4.mean(), q2.mean());
  EXPECT_LT(q8.median(), q4.median());
  EXPECT_LT(q4.median(), q2.median());
  EXPECT_GE(q8.top1_agreement(), q2.top1_agreement());
  // Every KL-divergence is non-negative up to float rounding.
  EXPECT_GT(q2.percentile(0.0), -1e-6);
}

TEST_F(TinyLlamaKld, FileGivesTheSameResultAsEvaluatingTheBase) {
  test::TempDir dir;
  const auto path = dir.path() / "base.logprobs";
  engine::Context base_ctx(base_, opts_);
  tools::LogProbWriter w(path, text_, base_->hparams().n_vocab);
  const auto ppl = tools::save_base_log_probs(base_ctx, text_, w);
  EXPECT_GT(ppl.stats.ppl(), 1.0);
  tools::LogProbReader r(path);
  EXPECT_EQ(r.text().tokens.size(), static_cast<size_t>(text_.n_chunks * text_.n_ctx));
  auto m = model::Model::load(test::model_path("tiny-llama-spm.Q4_0.gguf"));
  engine::Context ctx(m, opts_);
  const auto from_file = tools::kl_divergence(ctx, r.text(), [&](int64_t c) { return r.read_chunk(c); });
  const auto direct = against("tiny-llama-spm.Q4_0.gguf");
  EXPECT_EQ(from_file.count(), direct.count());
  EXPECT_NEAR(from_file.mean(), direct.mean(), 1e-9);
  EXPECT_NEAR(from_file.nll_base().ppl(), ppl.stats.ppl(), 1e-4 * ppl.stats.ppl());
}

TEST_F(TinyLlamaKld, VocabularyMismatchIsAnError) {
  auto m = model::Model::load(test::model_path("tiny-llama-spm.Q8_0.gguf"));
  engine::Context ctx(m, opts_);
  EXPECT_THROW(tools::kl_divergence(ctx, text_, [](int64_t) { return std::vector<float>(10, 0.0f); }), Error);
}

}  // namespace

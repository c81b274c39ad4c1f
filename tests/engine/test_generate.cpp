// engine::generate with the sampler chain: reproducibility, stop strings, per-token
// probabilities, grammar completion and end-of-generation, on a fixture model.
#include <gtest/gtest.h>

#include "engine/generate.h"
#include "model/model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

using namespace hearth;

namespace {

struct Fixture {
  std::shared_ptr<const model::Model> model = model::Model::load(test::model_path("tiny-llama-spm.Q8_0.gguf"));
  tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_gguf(model->file());
  engine::Context ctx{model, [] {
                        engine::ContextOptions o;
                        o.threads = 1;
                        return o;
                      }()};

  std::string text(const engine::GenerateRequest& req, engine::GenerateResult* res = nullptr) {
    std::string out;
    auto r = engine::generate(ctx, tok, req, [&](std::string_view t) {
      out += t;
      return true;
    });
    if (res) *res = r;
    return out;
  }
};

engine::GenerateRequest request(uint64_t seed) {
  engine::GenerateRequest req;
  req.prompt = "The weather today";
  req.max_tokens = 32;
  req.sampler.seed = seed;
  return req;
}

}  // namespace

TEST(Generate, SameSeedSameTextAndStopStrings) {
  Fixture f;
  const std::string a = f.text(request(11)), b = f.text(request(11));
  EXPECT_EQ(a, b);
  ASSERT_GE(a.size(), 12u);
  auto req = request(11);
  const std::string stop = a.substr(6, 4);
  req.stop = {stop};
  engine::GenerateResult res;
  EXPECT_EQ(f.text(req, &res), a.substr(0, a.find(stop)));
  EXPECT_EQ(res.stop, engine::StopReason::StopString);
  EXPECT_EQ(res.stop_string, stop);
}

TEST(Generate, PerTokenProbabilitiesAndTextAttribution) {
  Fixture f;
  auto req = request(5);
  req.sampler.temperature = 1.0f;  // truncation alone only removes mass (the check below)
  req.probs = true;
  req.n_probs = 4;
  std::vector<engine::GeneratedToken> tokens;
  std::string text;
  engine::GenerateCallbacks cb;
  cb.on_token = [&](const engine::GeneratedToken& t) {
    tokens.push_back(t);
    return true;
  };
  cb.on_text = [&](std::string_view t, int64_t token) {
    EXPECT_GE(token, 0);
    EXPECT_LT(token, static_cast<int64_t>(tokens.size()));
    text += t;
    return true;
  };
  const auto res = engine::generate(f.ctx, f.tok, req, cb);
  ASSERT_GE(tokens.size(), static_cast<size_t>(res.n_generated));
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& p = tokens[i].probs;
    EXPECT_EQ(tokens[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(p.id, tokens[i].id);
    EXPECT_GT(p.p, 0.0f);
    EXPECT_LE(p.p, 1.0f);
    EXPECT_GT(p.p_model, 0.0f);
    EXPECT_EQ(p.top_model.size(), 4u);
    EXPECT_GE(p.entropy_model, 0.0f);
    EXPECT_GE(p.top_model[0].p, p.top_model[3].p);
    // Top-k 40 / top-p / min-p only remove mass: the drawn token is at least as likely after.
    EXPECT_GE(p.p + 1e-6f, p.p_model);
  }
  req.probs = false;
  EXPECT_EQ(text, f.text(req));  // asking for probabilities does not change the draw
}

TEST(Generate, GrammarCompletionEndsGeneration) {
  Fixture f;
  auto req = request(3);
  req.max_tokens = 50;
  req.sampler.grammar = R"(root ::= "answer: " ("yes" | "no"))";
  engine::GenerateResult res;
  const std::string out = f.text(req, &res);
  EXPECT_TRUE(out == "answer: yes" || out == "answer: no") << out;
  EXPECT_EQ(res.stop, engine::StopReason::EndOfGeneration);
  EXPECT_LT(res.n_generated, 50);
}

TEST(Generate, CancelFromTheTokenCallback) {
  Fixture f;
  engine::GenerateCallbacks cb;
  int seen = 0;
  cb.on_token = [&](const engine::GeneratedToken&) { return ++seen < 3; };
  const auto res = engine::generate(f.ctx, f.tok, request(1), cb);
  EXPECT_EQ(res.stop, engine::StopReason::Cancelled);
  EXPECT_EQ(res.n_generated, 2);
}

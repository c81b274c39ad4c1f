// hearth perplexity / kld / quant-report end to end, and their one-line errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace hearth;

namespace {

std::string data_file(const std::string& name) { return (test::shared_dir() / "data" / name).string(); }

void expect_clean_error(const test::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
}

TEST(PerplexityCli, MatchesLlamaCppFigure) {
  const auto model = test::model_path("stories260K.gguf");
  if (!std::filesystem::exists(model)) GTEST_SKIP();
  const auto r = test::run_hearth({"perplexity", model.string(), "-f", data_file("tinystories_sample.txt"), "--ctx",
                                   "128", "-t", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n_chunks"], 14);
  EXPECT_NEAR(j["ppl"].get<double>(), 6.8457, 6.8457 * 0.005);
  EXPECT_EQ(j["running_ppl"].size(), 14u);
  EXPECT_NE(r.err.find("[14/14] PPL"), std::string::npos) << r.err;  // progress with the running estimate

  const auto text = test::run_hearth(
      {"perplexity", model.string(), "-f", data_file("tinystories_sample.txt"), "--ctx", "128", "--chunks", "2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Final estimate: PPL = "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(2 chunks of 128"), std::string::npos) << text.out;
}

TEST(PerplexityCli, BadInputIsAOneLineError) {
  const auto model = test::model_path("stories260K.gguf");
  if (!std::filesystem::exists(model)) GTEST_SKIP();
  test::TempDir dir;
  expect_clean_error(test::run_hearth({"perplexity", model.string(), "-f", (dir.path() / "none.txt").string()}),
                     "cannot open");
  const auto short_text = dir.path() / "short.txt";
  std::ofstream(short_text) << "Once upon a time";
  expect_clean_error(test::run_hearth({"perplexity", model.string(), "-f", short_text.string(), "--ctx", "128"}),
                     "needs at least 256");
  // A missing model is named.
  expect_clean_error(test::run_hearth({"perplexity", (dir.path() / "m.gguf").string(), "-f", short_text.string()}),
                     "m.gguf");
}

TEST(KldCli, SavedBaseGivesTheSameNumbers) {
  const auto base = test::model_path("tiny-llama-spm.F32.gguf");
  const auto quant = test::model_path("tiny-llama-spm.Q4_0.gguf");
  if (!std::filesystem::exists(base) || !std::filesystem::exists(quant)) GTEST_SKIP();
  test::TempDir dir;
  const auto saved = (dir.path() / "base.logprobs").string();
  const std::vector<std::string> common{"-f", data_file("tinystories_sample.txt"), "--ctx", "64", "--chunks", "4",
                                        "-t", "2", "--json"};
  auto args = std::vector<std::string>{"kld", base.string(), quant.string(), "--save-base", saved};
  args.insert(args.end(), common.begin(), common.end());
  const auto first = test::run_hearth(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto a = nlohmann::json::parse(first.out);
  EXPECT_EQ(a["positions"], 4 * 31);
  EXPECT_GT(a["kld_mean"].get<double>(), 0.0);
  EXPECT_GE(a["kld_p99"].get<double>(), a["kld_median"].get<double>());
  EXPECT_GE(a["kld_max"].get<double>(), a["kld_p99"].get<double>());

  const auto again = test::run_hearth({"kld", "--base-logprobs", saved, quant.string(), "-t", "2", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto b = nlohmann::json::parse(again.out);
  EXPECT_EQ(b["positions"], a["positions"]);
  EXPECT_DOUBLE_EQ(b["kld_mean"].get<double>(), a["kld_mean"].get<double>());
  EXPECT_DOUBLE_EQ(b["top1_agreement"].get<double>(), a["top1_agreement"].get<double>());

  const auto self = test::run_hearth({"kld", "--base-logprobs", saved, base.string(), "-t", "2"});
  ASSERT_EQ(self.exit_code, 0) << self.err;
  EXPECT_NE(self.out.find("Mean    KLD :   0.000000"), std::string::npos) << self.out;
  EXPECT_NE(self.out.find("Same top p  : 100.000"), std::string::npos) << self.out;

  expect_clean_error(test::run_hearth({"kld", base.string(), "-f", data_file("tinystories_sample.txt")}),
                     "give BASE and QUANT");
  expect_clean_error(test::run_hearth({"kld", "--base-logprobs", data_file("tinystories_sample.txt"), quant.string()}),
                     "not a hearth log-prob file");
  const auto other_vocab = test::model_path("tiny-qwen2.Q8_0.gguf");
  if (std::filesystem::exists(other_vocab))
    expect_clean_error(test::run_hearth({"kld", "--base-logprobs", saved, other_vocab.string()}), "base log-probs are over");
}

TEST(QuantReportCli, RunsEndToEnd) {
  const auto model = test::model_path("tiny-llama-spm.F32.gguf");
  if (!std::filesystem::exists(model)) GTEST_SKIP();
  test::TempDir dir;
  const auto out = dir.path() / "report";
  const auto r = test::run_hearth({"quant-report", model.string(), "-f", data_file("tinystories_sample.txt"), "--types",
                                   "Q8_0,Q2_K", "--ctx", "64", "--chunks", "4", "-p", "16", "-n", "8", "-r", "1", "-t",
                                   "2", "-o", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 3u);
  const auto& base = j["rows"][0];
  const auto& q8 = j["rows"][1];
  const auto& q2 = j["rows"][2];
  EXPECT_TRUE(base["is_base"].get<bool>());
  EXPECT_EQ(q8["type"], "Q8_0");
  EXPECT_GT(base["file_bytes"].get<uint64_t>(), q8["file_bytes"].get<uint64_t>());
  EXPECT_GT(q8["file_bytes"].get<uint64_t>(), q2["file_bytes"].get<uint64_t>());
  EXPECT_LT(q8["kld"]["mean"].get<double>(), q2["kld"]["mean"].get<double>());
  EXPECT_GT(q8["kld"]["mean"].get<double>(), 0.0);
  for (const auto& row : j["rows"]) {
    EXPECT_GT(row["prompt_tps"].get<double>(), 0.0);
    EXPECT_GT(row["gen_tps"].get<double>(), 0.0);
    EXPECT_GT(row["peak_rss_bytes"].get<uint64_t>(), 1u << 20);
    EXPECT_GT(row["ppl"].get<double>(), 1.0);
  }
  EXPECT_TRUE(std::filesystem::exists(out / "report.md"));
  const auto svg = test::read_file(out / "report.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("Q2_K"), std::string::npos);
  EXPECT_NE(test::read_file(out / "report.md").find("| Q8_0 |"), std::string::npos);

  expect_clean_error(test::run_hearth({"quant-report", model.string(), "-f", data_file("tinystories_sample.txt"),
                                       "--types", "Q8_0,Q7_X", "-o", out.string()}),
                     "Q7_X");
  expect_clean_error(test::run_hearth({"quant-report", test::model_path("tiny-llama-spm.Q4_0.gguf").string(), "-f",
                                       data_file("tinystories_sample.txt"), "--types", "Q8_0", "--ctx", "64", "-o",
                                       out.string()}),
                     "error");
}

}  // namespace

// `hearth run` sampling flags end to end: reproducibility across thread counts, drawn seeds,
// constrained output, stop strings, probabilities, colours and clear errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace hearth;

namespace {

std::string model() { return test::model_path("tiny-llama-spm.Q8_0.gguf").string(); }

test::CommandResult run(std::vector<std::string> extra) {
  std::vector<std::string> args = {"run", model(), "-p", "Once upon a time"};
  if (std::find(extra.begin(), extra.end(), "-n") == extra.end()) args.insert(args.end(), {"-n", "24"});
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_hearth(args);
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

void expect_one_line_error(const test::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
}

}  // namespace

TEST(RunCli, SameSeedSameTextAcrossThreadCounts) {
  for (const char* seed : {"1", "42"}) {
    const std::vector<std::string> flags = {"--seed", seed, "--temp", "1.0", "--top-k", "0", "--min-p", "0"};
    auto a = flags, b = flags;
    a.insert(a.end(), {"-t", "1"});
    b.insert(b.end(), {"-t", "2"});
    const auto r1 = run(a), r2 = run(b);
    ASSERT_EQ(r1.exit_code, 0) << r1.err;
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_FALSE(r1.out.empty());
    EXPECT_EQ(r1.out, r2.out) << "seed " << seed;
  }
  const auto x = run({"--seed", "1", "--temp", "1.0", "-t", "1"}), y = run({"--seed", "2", "--temp", "1.0", "-t", "1"});
  EXPECT_NE(x.out, y.out);
}

TEST(RunCli, DrawnSeedIsReportedAndRepeats) {
  const auto r = run({"--seed", "-1", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto at = r.err.find("seed: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string seed = r.err.substr(at + 6, r.err.find('\n', at) - at - 6);
  const auto again = run({"--seed", seed, "-t", "1"});
  EXPECT_EQ(again.out, r.out);
  EXPECT_EQ(again.err.find("seed: "), std::string::npos) << "a given seed is not reported";
}

TEST(RunCli, JsonSchemaAndJsonOutput) {
  test::TempDir dir;
  write(dir.path() / "s.json",
        R"({"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9},"w":{"enum":["a","b"]}},"required":["n","w"]})");
  const auto r = run({"--json-schema", (dir.path() / "s.json").string(), "-n", "100", "--seed", "7", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GE(j["n"].get<int>(), 1);
  EXPECT_TRUE(j["w"] == "a" || j["w"] == "b");
  const auto any = run({"--json", "-n", "8", "--seed", "3", "-t", "1"});
  ASSERT_EQ(any.exit_code, 0) << any.err;
  ASSERT_FALSE(any.out.empty());
  EXPECT_NE(std::string("{[\"-0123456789tfn").find(any.out[0]), std::string::npos) << any.out;
}

TEST(RunCli, GrammarFileAndItsErrors) {
  test::TempDir dir;
  write(dir.path() / "yes.gbnf", "root ::= (\"yes\" | \"no\") \".\"\n");
  const auto r = run({"--grammar-file", (dir.path() / "yes.gbnf").string(), "--seed", "5", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == "yes." || r.out == "no.") << r.out;
  write(dir.path() / "bad.gbnf", "root ::= item+\n\nitem ::= [a-z\n");
  expect_one_line_error(run({"--grammar-file", (dir.path() / "bad.gbnf").string()}),
                        "bad.gbnf: grammar: line 3, column 10: unterminated character class");
  write(dir.path() / "bad.json", R"({"type":"string","pattern":"a+"})");
  expect_one_line_error(run({"--json-schema", (dir.path() / "bad.json").string()}), "'pattern' is not supported");
  expect_one_line_error(run({"--grammar-file", (dir.path() / "missing.gbnf").string()}), "cannot read grammar file");
}

TEST(RunCli, StopStringsAreNeverPrinted) {
  const auto full = run({"--temp", "0", "-n", "40"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  ASSERT_GE(full.out.size(), 20u) << full.out;
  // A stop string taken from the middle of the greedy text: output is exactly what precedes it.
  const std::string stop = full.out.substr(10, 5);
  const auto cut = run({"--temp", "0", "-n", "40", "--stop", stop, "--stop", "never-appears"});
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_EQ(cut.out, full.out.substr(0, full.out.find(stop)));
}

TEST(RunCli, ProbsAndColour) {
  const auto r = run({"--probs", "3", "-n", "5", "--seed", "1", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("per-token probabilities"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("#4 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("| model: "), std::string::npos) << r.err;
  // Not a terminal: no colour codes even when asked.
  const auto c = run({"--color", "confidence", "-n", "5", "--seed", "1", "-t", "1"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.find('\033'), std::string::npos);
  const auto plain = run({"-n", "5", "--seed", "1", "-t", "1"});
  EXPECT_EQ(c.out, plain.out);
  EXPECT_EQ(r.out, plain.out) << "--probs must not change the text";
}

TEST(RunCli, SamplerFlagsAndErrors) {
  const auto r = run({"--samplers", "top_k;temperature", "--mirostat", "2", "--repeat-penalty", "1.1", "--presence-penalty",
                      "0.5", "--frequency-penalty", "0.5", "--typical-p", "0.9", "--logit-bias", "13=-inf", "--seed", "4",
                      "-t", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_one_line_error(run({"--samplers", "top_k;nope"}), "unknown sampler 'nope'");
  expect_one_line_error(run({"--logit-bias", "99999=1"}), "beyond the vocabulary");
  expect_one_line_error(run({"--logit-bias", "12=abc"}), "is not a number");
  EXPECT_NE(run({"--top-p", "1.5"}).exit_code, 0);
  EXPECT_NE(run({"--mirostat", "3"}).exit_code, 0);
  const auto help = test::run_hearth({"run", "--help"});
  for (const char* flag : {"--temp", "--top-k", "--top-p", "--min-p", "--typical-p", "--repeat-penalty", "--repeat-last-n",
                           "--presence-penalty", "--frequency-penalty", "--mirostat", "--mirostat-tau", "--mirostat-eta",
                           "--seed", "--logit-bias", "--samplers", "--grammar-file", "--json", "--json-schema", "--stop",
                           "--probs", "--color"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

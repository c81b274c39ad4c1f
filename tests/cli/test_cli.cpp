// End-to-end tests of the hearth binary: the real model's greedy text, and clean one-line
// errors (non-zero exit) for bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "test_support.h"

using namespace hearth;

namespace {

void expect_one_line_error(const test::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.exit_code < 128, true) << "crashed with signal " << r.exit_code - 128 << ": " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
  // One line: a single trailing newline.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
}

// Copies a fixture's metadata and tensors into a new file, with edits.
void rewrite_model(const std::filesystem::path& src, const std::filesystem::path& dst, const std::string& drop_tensor,
                   const std::string& set_arch) {
  auto f = gguf::File::open(src);
  gguf::Writer w;
  for (const auto& kv : f.metadata()) {
    if (kv.key == "general.architecture" && !set_arch.empty())
      w.set(kv.key, std::string(set_arch));
    else
      w.set(kv.key, kv.value);
  }
  for (const auto& t : f.tensors()) {
    if (t.name == drop_tensor) continue;
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + std::max<uint32_t>(t.n_dims, 1));
    w.add_tensor(t.name, t.type, ne, t.bytes());
  }
  w.write(dst);
}

}  // namespace

TEST(Cli, Stories260KGreedyMatchesReference) {
  const auto model = test::model_path("stories260K.gguf");
  const auto expected = test::read_file(test::shared_dir() / "reference" / "stories260K.greedy.txt");
  auto r = test::run_hearth({"run", model.string(), "--temp", "0", "-n", "200", "-p", "Once upon a time"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
}

TEST(Cli, VersionAndHelp) {
  auto r = test::run_hearth({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("hearth"), std::string::npos);
  for (const char* cmd : {"show", "run", "logits", "tokenize", "quantize"}) {
    auto h = test::run_hearth({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << cmd << ": " << h.out;
  }
}

TEST(Cli, LogitsJsonInterface) {
  const auto model = test::model_path("tiny-llama-spm.F32.gguf");
  auto r = test::run_hearth({"logits", model.string(), "--prompt", "Hello world", "--top", "5", "--greedy", "3",
                             "--kv-type", "f32", "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto toks = j["prompt_tokens"].get<std::vector<int>>();
  ASSERT_GE(toks.size(), 2u);
  EXPECT_EQ(toks[0], 1);  // BOS
  ASSERT_EQ(j["prefill"].size(), toks.size());
  EXPECT_EQ(j["prefill"][0]["pos"], 0);
  EXPECT_EQ(j["prefill"][0]["top"].size(), 5u);
  EXPECT_EQ(j["greedy_tokens"].size(), 3u);
  // Same prompt by ids gives the same numbers.
  std::string ids;
  for (size_t i = 0; i < toks.size(); ++i) ids += (i ? "," : "") + std::to_string(toks[i]);
  auto r2 = test::run_hearth({"logits", model.string(), "--tokens", ids, "--top", "5", "--greedy", "3", "--kv-type",
                              "f32", "-t", "2"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(nlohmann::json::parse(r2.out), j);
}

TEST(Cli, ErrorsAreOneLine) {
  test::TempDir tmp;
  const auto fixture = test::model_path("tiny-llama-spm.F32.gguf");
  const auto missing = tmp.path() / "missing-tensor.gguf";
  rewrite_model(fixture, missing, "blk.1.ffn_up.weight", "");
  expect_one_line_error(test::run_hearth({"run", missing.string(), "-p", "hi", "-n", "2"}),
                        "missing tensor 'blk.1.ffn_up.weight'");

  const auto unknown = tmp.path() / "unknown-arch.gguf";
  rewrite_model(fixture, unknown, "", "mamba9");
  expect_one_line_error(test::run_hearth({"run", unknown.string(), "-p", "hi", "-n", "2"}),
                        "unknown architecture 'mamba9'");

  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += "hello world ";
  expect_one_line_error(test::run_hearth({"run", fixture.string(), "-p", long_prompt, "-n", "2", "-c", "64", "--seed", "1"}),
                        "holds 64");

  expect_one_line_error(test::run_hearth({"logits", fixture.string(), "--tokens", "1,5,99999"}),
                        "token id 99999 is out of range");
  expect_one_line_error(test::run_hearth({"logits", fixture.string(), "--tokens", "1,x"}), "'x' is not a token id");
  expect_one_line_error(test::run_hearth({"show", (tmp.path() / "nope.gguf").string()}), "no such file");
}

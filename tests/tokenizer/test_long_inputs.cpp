// Long inputs: thousands of tokens through large vocabularies stay fast (no quadratic work)
// and pathological runs do not exhaust the regex engine.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "tokenizer_fixtures.h"

using namespace hearth;
using hearth::tokenizer::Tokenizer;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(TokenizerLongInputs, LongPromptsScaleLinearly) {
  const std::string paragraph = test::read_file(test::shared_dir() / "reference" / "prompts" / "prompt3.txt");
  std::string small, big;
  for (int i = 0; i < 2; ++i) small += paragraph;
  for (int i = 0; i < 40; ++i) big += paragraph;
  for (const char* vocab : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-gpt-2.gguf"}) {
    SCOPED_TRACE(vocab);
    const Tokenizer& tok = test::cached_tokenizer(test::shared_dir() / "tokenizer" / vocab);
    const auto one = tok.encode(paragraph, false, false);
    auto t0 = std::chrono::steady_clock::now();
    const auto s = tok.encode(small, false, false);
    const double ts = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto b = tok.encode(big, false, false);
    const double tb = seconds_since(t0);
    EXPECT_GT(b.size(), 20 * one.size());
    EXPECT_EQ(tok.decode(b, {.strip_leading_space = true}), big);
    std::cout << "[ speed    ] " << vocab << ": " << b.size() << " tokens in " << tb * 1e3 << " ms\n";
    // 20x the text must not take anywhere near 400x the time (generous for noisy machines).
    EXPECT_LT(tb, 100 * ts + 0.5);
  }
}

TEST(TokenizerLongInputs, PathologicalRuns) {
  const Tokenizer& llama3 = test::cached_tokenizer(test::model_path("tiny-llama3-bpe.F16.gguf"));
  const Tokenizer& mpt = test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-mpt.gguf");
  const Tokenizer& spm = test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-llama-spm.gguf");
  for (const std::string& text :
       {std::string(100000, ' ') + "x", std::string(50000, '\n'), std::string(100000, 'a'), std::string(30000, '!'),
        std::string(40000, '7')}) {
    for (const Tokenizer* tok : {&llama3, &mpt, &spm}) {
      const auto ids = tok->encode(text, false, false);
      EXPECT_FALSE(ids.empty());
      EXPECT_EQ(tok->decode(ids, {.strip_leading_space = true}), text);
    }
  }
}

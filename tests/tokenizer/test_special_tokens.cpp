// Special-token parsing, BOS/EOS handling, end-of-generation ids and piece rendering.
#include <gtest/gtest.h>

#include <thread>

#include "tokenizer_fixtures.h"

using namespace hearth;
using hearth::tokenizer::Tokenizer;

namespace {

const Tokenizer& spm() { return test::cached_tokenizer(test::model_path("tiny-llama-spm.F16.gguf")); }
const Tokenizer& llama3() { return test::cached_tokenizer(test::model_path("tiny-llama3-bpe.F16.gguf")); }
const Tokenizer& qwen() { return test::cached_tokenizer(test::model_path("tiny-qwen2.F16.gguf")); }
const Tokenizer& phi3() { return test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-phi-3.gguf"); }
const Tokenizer& mpt() { return test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-mpt.gguf"); }

std::vector<int32_t> concat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST(TokenizerSpecial, ControlTokensParsedOnlyOnRequest) {
  const Tokenizer& q = qwen();
  const std::string chat = "<|im_start|>user\nHi there<|im_end|>\n";
  const auto parsed = q.encode(chat, false, true);
  EXPECT_EQ(parsed, concat({{4097}, q.encode("user\nHi there", false, false), {4098}, q.encode("\n", false, false)}));
  const auto plain = q.encode(chat, false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 4097), 0);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 4098), 0);
  EXPECT_EQ(q.decode(plain), chat);
  EXPECT_EQ(q.decode(parsed), "user\nHi there\n");  // control tokens render empty by default
  EXPECT_EQ(q.decode(parsed, {.render_special = true}), chat);

  const Tokenizer& l = llama3();
  EXPECT_EQ(l.encode("<|begin_of_text|><|start_header_id|>", false, true), (std::vector<int32_t>{4096, 4098}));
  EXPECT_EQ(l.encode("<|eot_id|>", true, true), (std::vector<int32_t>{4096, 4100}));
}

TEST(TokenizerSpecial, SpmTextAfterSpecialTokenGetsSpacePrefix) {
  const Tokenizer& s = spm();
  // As in llama.cpp: each text fragment after a special token is tokenized as if it began a text.
  EXPECT_EQ(s.encode("<s>Hello</s>Hello", false, true),
            concat({{1}, s.encode("Hello", false, false), {2}, s.encode("Hello", false, false)}));
  EXPECT_EQ(s.encode("Hello", true, false), concat({{1}, s.encode("Hello", false, false)}));
}

TEST(TokenizerSpecial, Phi3ChatTokensSwallowFollowingWhitespace) {
  const Tokenizer& p = phi3();
  ASSERT_EQ(p.find_token("<|user|>"), 32010);
  EXPECT_EQ(p.encode("<|user|>\nHi<|end|>\n", false, true),
            concat({{32010}, p.encode("Hi", false, false), {32007}}));
  // </s> is USER_DEFINED in this vocabulary: matched even without parse_special.
  EXPECT_EQ(p.encode("a</s>b", false, false), concat({p.encode("a", false, false), {2}, p.encode("b", false, false)}));
}

TEST(TokenizerSpecial, UserDefinedTokensAlwaysMatchedLongestFirst) {
  const Tokenizer& m = mpt();
  // MPT's vocabulary has user-defined runs of 2..24 spaces.
  const int32_t three = m.find_token("   ");
  ASSERT_NE(three, tokenizer::kNoToken);
  EXPECT_EQ(m.vocab().token(three).type, tokenizer::TokenType::UserDefined);
  EXPECT_EQ(m.encode("a   b", false, false), concat({m.encode("a", false, false), {three}, m.encode("b", false, false)}));
  EXPECT_EQ(m.decode(m.encode("x" + std::string(30, ' ') + "y", false, false)), "x" + std::string(30, ' ') + "y");
}

TEST(TokenizerSpecial, BosEosDefaultsAndOverrides) {
  EXPECT_TRUE(spm().add_bos_default());
  EXPECT_TRUE(llama3().add_bos_default());
  EXPECT_FALSE(qwen().add_bos_default());
  EXPECT_EQ(spm().bos(), 1);
  EXPECT_EQ(spm().eos(), 2);
  EXPECT_EQ(llama3().bos(), 4096);
  EXPECT_EQ(qwen().bos(), 4096);
  EXPECT_EQ(qwen().eos(), 4098);
  EXPECT_EQ(qwen().pad(), 4096);

  const auto with = spm().encode("Hi", tokenizer::EncodeOptions{});
  EXPECT_EQ(with.front(), 1);
  const auto without = spm().encode("Hi", tokenizer::EncodeOptions{.add_bos = false, .add_eos = std::nullopt, .parse_special = false});
  EXPECT_EQ(with, concat({{1}, without}));
  const auto eos = spm().encode("Hi", tokenizer::EncodeOptions{.add_bos = false, .add_eos = true});
  EXPECT_EQ(eos, concat({without, {2}}));
  EXPECT_TRUE(spm().encode("", false, false).empty());
  EXPECT_EQ(spm().encode("", true, false), (std::vector<int32_t>{1}));
}

TEST(TokenizerSpecial, EndOfGeneration) {
  EXPECT_TRUE(spm().is_eog(2));
  EXPECT_FALSE(spm().is_eog(1));
  EXPECT_FALSE(spm().is_eog(-1));
  EXPECT_TRUE(llama3().is_eog(4097));
  EXPECT_TRUE(llama3().is_eog(4100));  // <|eot_id|>
  EXPECT_EQ(llama3().eot(), 4100);
  EXPECT_FALSE(llama3().is_eog(4096));
  EXPECT_TRUE(qwen().is_eog(4098));  // <|im_end|>
  EXPECT_TRUE(qwen().is_eog(4096));  // <|endoftext|>
  EXPECT_FALSE(qwen().is_eog(4097));
  EXPECT_TRUE(phi3().is_eog(32007));  // <|end|>
  EXPECT_TRUE(phi3().is_eog(32000));  // <|endoftext|> = eos
}

TEST(TokenizerSpecial, PiecesAndDecodeOptions) {
  const Tokenizer& s = spm();
  EXPECT_EQ(s.piece(1), "");
  EXPECT_EQ(s.piece(1, true), "<s>");
  EXPECT_EQ(s.piece(0), "");  // <unk>
  EXPECT_EQ(s.piece(0, true), "<unk>");
  EXPECT_EQ(s.piece(3 + 0x41), "A");  // <0x41>
  EXPECT_EQ(s.token_text(3 + 0x0A), "<0x0A>");
  const auto ids = s.encode("Hello world", true, false);
  EXPECT_EQ(s.decode(ids), " Hello world");
  EXPECT_EQ(s.decode(ids, {.strip_leading_space = true}), "Hello world");
  EXPECT_EQ(s.decode(ids, {.render_special = true, .strip_leading_space = true}), "<s>Hello world");
  EXPECT_EQ(s.decode(std::span(ids).subspan(1), {.strip_leading_space = true}), "Hello world");
  // BPE vocabularies have no space prefix to strip.
  EXPECT_EQ(qwen().decode(qwen().encode(" a", false, false), {.strip_leading_space = true}), " a");
  EXPECT_THROW((void)s.piece(4096), Error);
  EXPECT_THROW((void)s.piece(-1), Error);
  const int32_t bad[] = {5, 99999};
  EXPECT_THROW((void)s.decode(bad), Error);
}

TEST(TokenizerSpecial, CopiesShareStateAndWorkConcurrently) {
  const Tokenizer copy = qwen();
  std::vector<std::vector<int32_t>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] { results[t] = copy.encode("Hello, world! 1234 héllo", false, false); });
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, qwen().encode("Hello, world! 1234 héllo", false, false));
}

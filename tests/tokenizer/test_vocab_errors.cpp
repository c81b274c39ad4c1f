// Vocabulary loading: unsupported models and pre-tokenizers, inconsistent metadata. Every
// error names the offending key.
#include <gtest/gtest.h>

#include "gguf/writer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer_fixtures.h"

using namespace hearth;
using hearth::tokenizer::Tokenizer;

namespace {

gguf::Array string_array(const std::vector<std::string>& items) {
  gguf::Array a{gguf::ValueType::STRING, {}};
  for (const auto& s : items) a.items.emplace_back(s);
  return a;
}

template <typename T>
gguf::Array scalar_array(const std::vector<T>& items) {
  gguf::Array a{gguf::ValueTypeOf<T>::value, {}};
  for (const auto& v : items) a.items.emplace_back(v);
  return a;
}

// A small valid vocabulary of the given kind; tests then break one key.
gguf::Writer small_vocab(const std::string& model) {
  gguf::Writer w;
  w.set("general.architecture", "llama");
  w.set("tokenizer.ggml.model", model);
  if (model == "gpt2") {
    w.set("tokenizer.ggml.pre", "gpt-2");
    w.set("tokenizer.ggml.tokens", string_array({"a", "b", "ab", "Ġ", "Ġab", "<|end|>"}));
    w.set("tokenizer.ggml.token_type", scalar_array<int32_t>({1, 1, 1, 1, 1, 3}));
    w.set("tokenizer.ggml.merges", string_array({"a b", "Ġ ab"}));
    w.set("tokenizer.ggml.eos_token_id", uint32_t{5});
  } else {
    w.set("tokenizer.ggml.tokens", string_array({"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab"}));
    w.set("tokenizer.ggml.scores", scalar_array<float>({0, 0, 0, -1, -2, -2, -1, -0.5f}));
    w.set("tokenizer.ggml.token_type", scalar_array<int32_t>({2, 3, 3, 1, 1, 1, 1, 1}));
    w.set("tokenizer.ggml.bos_token_id", uint32_t{1});
    w.set("tokenizer.ggml.eos_token_id", uint32_t{2});
  }
  return w;
}

Tokenizer load(const gguf::Writer& w) {
  test::TempDir dir;
  const auto path = dir.path() / "vocab.gguf";
  w.write(path);
  auto file = gguf::File::open(path);
  return Tokenizer::from_gguf(file);
}

// Runs `f`, expecting a hearth::Error whose message contains every string in `parts`.
template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

}  // namespace

TEST(TokenizerVocab, SmallHandMadeVocabulariesWork) {
  const Tokenizer spm = load(small_vocab("llama"));
  EXPECT_EQ(spm.encode("ab a", true, false), (std::vector<int32_t>{1, 3, 7, 6}));  // ▁ ab ▁a
  EXPECT_EQ(spm.decode(spm.encode("ab a", true, false), {.strip_leading_space = true}), "ab a");
  // No byte tokens: an unknown character becomes <unk>, which renders empty.
  EXPECT_EQ(spm.encode("ax", false, false), (std::vector<int32_t>{6, 0}));
  const Tokenizer bpe = load(small_vocab("gpt2"));
  EXPECT_EQ(bpe.encode("ab ab", false, false), (std::vector<int32_t>{2, 4}));
  EXPECT_FALSE(bpe.add_bos_default());
  EXPECT_EQ(bpe.bos(), tokenizer::kNoToken);
  expect_error([&] { (void)bpe.encode("a", true, false); }, {"BOS"});
  EXPECT_TRUE(bpe.is_eog(5));
}

TEST(TokenizerVocab, UnknownTokenizerModelIsAnError) {
  expect_error([] { (void)load(small_vocab("bert")); }, {"tokenizer.ggml.model", "'bert'", "vocab.gguf"});
  auto w = small_vocab("llama");
  w.remove("tokenizer.ggml.model");
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.model"});
}

TEST(TokenizerVocab, UnknownPreTokenizerIsAnError) {
  auto w = small_vocab("gpt2");
  w.set("tokenizer.ggml.pre", "no-such-pre");
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.pre", "'no-such-pre'", "qwen2"});
  // SentencePiece vocabularies have no pre-tokenizer: the key is ignored.
  auto s = small_vocab("llama");
  s.set("tokenizer.ggml.pre", "no-such-pre");
  EXPECT_NO_THROW((void)load(s));
}

TEST(TokenizerVocab, EveryKnownPreTokenizerCompilesAndSplits) {
  for (const auto& name : tokenizer::PreTokenizer::known_names()) {
    SCOPED_TRACE(name);
    auto pre = tokenizer::PreTokenizer::for_name(name);
    std::vector<tokenizer::ByteRange> words;
    const std::string text = "Hello, world! It's 12345 ÄÖ 你好\n\n  x";
    pre.split(text, words);
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(words.front().begin, 0u);
    EXPECT_EQ(words.back().end, text.size());
    for (size_t i = 1; i < words.size(); ++i) EXPECT_EQ(words[i].begin, words[i - 1].end);
  }
}

TEST(TokenizerVocab, InconsistentMetadataNamesTheKey) {
  auto w = small_vocab("llama");
  w.set("tokenizer.ggml.scores", scalar_array<float>({0, 0}));
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.scores", "2"});

  w = small_vocab("llama");
  w.set("tokenizer.ggml.token_type", scalar_array<int32_t>({1, 1, 1}));
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.token_type"});

  w = small_vocab("llama");
  w.set("tokenizer.ggml.token_type", scalar_array<int32_t>({2, 3, 3, 1, 1, 1, 1, 9}));
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.token_type[7]", "9"});

  w = small_vocab("llama");
  w.set("tokenizer.ggml.bos_token_id", uint32_t{8});
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.bos_token_id", "8"});

  w = small_vocab("llama");
  w.set("tokenizer.ggml.padding_token_id", uint32_t{0xFFFFFFFF});  // "none", as in stories260K
  EXPECT_EQ(load(w).pad(), tokenizer::kNoToken);

  w = small_vocab("llama");
  w.set("tokenizer.ggml.token_type", scalar_array<int32_t>({2, 3, 3, 1, 6, 1, 1, 1}));  // "a" as BYTE
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.tokens[4]", "BYTE"});

  w = small_vocab("gpt2");
  w.remove("tokenizer.ggml.merges");
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.merges"});

  w = small_vocab("gpt2");
  w.set("tokenizer.ggml.merges", string_array({"a b", "ab"}));
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.merges[1]"});

  w = small_vocab("gpt2");
  w.set("tokenizer.ggml.tokens", string_array({}));
  w.remove("tokenizer.ggml.token_type");
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.tokens"});

  w = small_vocab("gpt2");
  w.set("tokenizer.ggml.tokens", scalar_array<int32_t>({1, 2}));
  expect_error([&] { (void)load(w); }, {"tokenizer.ggml.tokens"});
}

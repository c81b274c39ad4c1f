// The tokenizer against llama.cpp's outputs: every .inp/.out vector file in shared/tokenizer,
// the prompt tokens of every reference run in shared/reference, and detokenization round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tokenizer/unicode.h"
#include "tokenizer_fixtures.h"

using namespace hearth;
using hearth::tokenizer::Tokenizer;

namespace {

std::string ids_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (!s.empty()) s += ' ';
    s += std::to_string(id);
  }
  return s;
}

std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;  // padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::vector<std::filesystem::path> vector_files() {
  return test::files_with_extension(test::shared_dir() / "tokenizer", ".inp");
}

}  // namespace

TEST(TokenizerVectors, EveryCaseOfEveryVectorFile) {
  const auto files = vector_files();
  ASSERT_GE(files.size(), 8u) << "vector files missing under " << test::shared_dir() / "tokenizer";
  for (const auto& inp : files) {
    SCOPED_TRACE(inp.filename().string());
    const auto cases = test::read_vocab_cases(inp);
    auto out_path = inp;
    out_path.replace_extension(".out");
    const auto expected = test::read_vocab_ids(out_path);
    ASSERT_EQ(cases.size(), expected.size());
    const Tokenizer& tok = test::cached_tokenizer(test::vocab_for_vectors(inp));
    size_t pass = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto ids = tok.encode(cases[i], /*add_bos=*/false, /*parse_special=*/false);
      if (ids == expected[i])
        ++pass;
      else
        ADD_FAILURE() << "case " << i << " '" << cases[i] << "'\n  expected: " << ids_string(expected[i])
                      << "\n  got:      " << ids_string(ids);
    }
    std::cout << "[ vectors  ] " << inp.filename().string() << ": " << pass << "/" << cases.size() << " cases\n";
  }
}

// decode(encode(x)) == x. One exception, as in llama.cpp and Hugging Face's ByteFallback
// decoder: a SentencePiece vocabulary without a bare "▁" token (the truncated tiny-llama-spm)
// spells some escaped spaces as the bytes of U+2581, which decode as "▁". Those cases must
// match once "▁" is read back as a space.
TEST(TokenizerVectors, RoundTripOfEveryCase) {
  const std::string mark = "\u2581";
  for (const auto& inp : vector_files()) {
    SCOPED_TRACE(inp.filename().string());
    const Tokenizer& tok = test::cached_tokenizer(test::vocab_for_vectors(inp));
    const auto& vocab = tok.vocab();
    const std::vector<int32_t> mark_bytes = {vocab.byte_token(0xE2), vocab.byte_token(0x96), vocab.byte_token(0x81)};
    const auto cases = test::read_vocab_cases(inp);
    size_t exact = 0, via_bytes = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      ASSERT_EQ(cases[i].find(mark), std::string::npos);
      for (bool bos : {false, true}) {
        if (bos && tok.bos() == tokenizer::kNoToken) continue;
        const auto ids = tok.encode(cases[i], bos, false);
        std::string text = tok.decode(ids, {.strip_leading_space = true});
        if (tok.type() == tokenizer::VocabType::Spm &&
            std::search(ids.begin(), ids.end(), mark_bytes.begin(), mark_bytes.end()) != ids.end()) {
          ASSERT_EQ(tok.find_token(mark), tokenizer::kNoToken);
          const std::string raw = tok.decode(ids);
          text.clear();
          for (size_t p = 0; p < raw.size();) {
            if (raw.compare(p, mark.size(), mark) == 0) {
              text += ' ';
              p += mark.size();
            } else {
              text += raw[p++];
            }
          }
          text.erase(0, 1);  // the space prefix
          ++via_bytes;
        } else {
          ++exact;
        }
        EXPECT_EQ(text, cases[i]) << "case " << i << " bos " << bos;
      }
    }
    std::cout << "[ roundtrip] " << inp.filename().string() << ": " << exact << " exact, " << via_bytes
              << " with spaces spelled in bytes\n";
  }
}

TEST(TokenizerVectors, StreamingDecodeOfEveryCase) {
  for (const auto& inp : vector_files()) {
    SCOPED_TRACE(inp.filename().string());
    const Tokenizer& tok = test::cached_tokenizer(test::vocab_for_vectors(inp));
    for (const auto& text : test::read_vocab_cases(inp)) {
      const auto ids = tok.encode(text, false, false);
      tokenizer::StreamingDecoder dec(tok);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string part = dec.push(id);
        EXPECT_TRUE(tokenizer::is_valid_utf8(part)) << "token " << id;
        streamed += part;
      }
      streamed += dec.flush();
      EXPECT_EQ(streamed, tok.decode(ids)) << text;
    }
  }
}

// Every reference run tokenized its prompt with llama.cpp (add_special = add_bos,
// parse_special false) and detokenized its greedy tokens with llama_detokenize, which strips
// the SentencePiece space prefix and tidies spaces (greedy_text_b64, exact bytes).
// (greedy_text_special is not compared: its ill-formed UTF-8 was replaced byte by byte.)
TEST(TokenizerVectors, ReferencePromptsAndGreedyText) {
  auto refs = test::files_with_extension(test::shared_dir() / "reference" / "logits", ".json");
  ASSERT_GE(refs.size(), 20u);
  refs.push_back(test::shared_dir() / "reference" / "stories260K.once.json");
  size_t checked = 0;
  for (const auto& path : refs) {
    SCOPED_TRACE(path.filename().string());
    const auto j = nlohmann::json::parse(test::read_file(path));
    const auto model = test::model_path(j.at("model").get<std::string>());
    ASSERT_TRUE(std::filesystem::exists(model)) << model;
    const Tokenizer& tok = test::cached_tokenizer(model);
    const bool add_bos = j.at("add_bos").get<bool>();
    EXPECT_EQ(add_bos, tok.add_bos_default());
    const auto ids = tok.encode(j.at("prompt").get<std::string>(), add_bos, j.value("parse_special", false));
    EXPECT_EQ(ids_string(ids), ids_string(j.at("prompt_tokens").get<std::vector<int32_t>>()));

    const auto greedy = j.at("greedy_tokens").get<std::vector<int32_t>>();
    const tokenizer::DecodeOptions like_llama{.strip_leading_space = true, .clean_spaces = true};
    EXPECT_EQ(tok.decode(greedy, like_llama), base64_decode(j.at("greedy_text_b64").get<std::string>()));
    ++checked;
  }
  std::cout << "[ refs     ] " << checked << " reference prompts reproduced\n";
}

TEST(TokenizerVectors, StoriesGreedyContinuationText) {
  const auto j = nlohmann::json::parse(test::read_file(test::shared_dir() / "reference" / "stories260K.once.json"));
  const Tokenizer& tok = test::cached_tokenizer(test::model_path("stories260K.gguf"));
  const auto greedy = j.at("greedy_tokens").get<std::vector<int32_t>>();
  EXPECT_EQ(tok.decode(greedy, {.strip_leading_space = true}),
            test::read_file(test::shared_dir() / "reference" / "stories260K.greedy.txt"));
  EXPECT_EQ(tok.decode(tok.encode("Once upon a time", true, false), {.strip_leading_space = true}), "Once upon a time");
}

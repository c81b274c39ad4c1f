// The streaming detokenizer and the UTF-8 / byte-level helpers under it.
#include <gtest/gtest.h>

#include "tokenizer/unicode.h"
#include "tokenizer_fixtures.h"

using namespace hearth;
using namespace hearth::tokenizer;

namespace {

const Tokenizer& spm() { return test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-llama-spm.gguf"); }
const Tokenizer& gpt2() { return test::cached_tokenizer(test::shared_dir() / "tokenizer" / "ggml-vocab-gpt-2.gguf"); }

std::string sanitized(std::string_view s) {
  std::string out;
  append_sanitized_utf8(out, s, true);
  return out;
}

}  // namespace

TEST(TokenizerStreaming, MultiByteCharactersSplitAcrossByteTokens) {
  const Tokenizer& tok = spm();
  const std::string text = "a✅b 🦙 ½";
  const auto ids = tok.encode(text, false, false);
  // 🦙 is not in the vocabulary: it falls back to byte tokens.
  ASSERT_NE(std::find(ids.begin(), ids.end(), tok.vocab().byte_token(0xF0)), ids.end());
  StreamingDecoder dec(tok);
  std::string out;
  std::vector<size_t> held;
  for (int32_t id : ids) {
    const std::string part = dec.push(id);
    EXPECT_TRUE(is_valid_utf8(part)) << "after token " << id;
    held.push_back(dec.pending_bytes());
    out += part;
  }
  out += dec.flush();
  EXPECT_EQ(out, " " + text);
  EXPECT_EQ(dec.pending_bytes(), 0u);
  EXPECT_NE(std::find(held.begin(), held.end(), 3u), held.end());  // held 3 bytes of 🦙 at some point
}

TEST(TokenizerStreaming, ByteLevelPiecesSplittingACharacter) {
  const Tokenizer& tok = gpt2();
  const auto ids = tok.encode(" this is 🦙.cpp", false, false);
  ASSERT_EQ(ids, (std::vector<int32_t>{428, 318, 12520, 99, 247, 13, 20322}));
  EXPECT_EQ(tok.piece(12520), " \xF0\x9F");
  StreamingDecoder dec(tok);
  EXPECT_EQ(dec.push(428), " this");
  EXPECT_EQ(dec.push(318), " is");
  EXPECT_EQ(dec.push(12520), " ");  // the space is complete, the emoji is not
  EXPECT_EQ(dec.push(99), "");
  EXPECT_EQ(dec.push(247), "🦙");
  EXPECT_EQ(dec.push(13), ".");
  EXPECT_EQ(dec.push(20322), "cpp");
  EXPECT_EQ(dec.flush(), "");
}

TEST(TokenizerStreaming, NeverEmitsIllFormedUtf8) {
  const Tokenizer& tok = spm();
  StreamingDecoder dec(tok);
  // A lead byte followed by a non-continuation: U+FFFD, then the ASCII character.
  EXPECT_EQ(dec.push_bytes("\xE2"), "");
  EXPECT_EQ(dec.push_bytes("("), "\xEF\xBF\xBD(");
  // Stray continuation bytes and bytes that never start a character.
  EXPECT_EQ(dec.push_bytes("\x80\xFF" "a"), "\xEF\xBF\xBD\xEF\xBF\xBD" "a");
  // Surrogates and overlongs are not UTF-8.
  EXPECT_EQ(dec.push_bytes("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(dec.push_bytes("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // An incomplete character at the end is flushed as one U+FFFD.
  EXPECT_EQ(dec.push_bytes("x\xF0\x9F\xA6"), "x");
  EXPECT_EQ(dec.pending_bytes(), 3u);
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(dec.flush(), "");

  // Random byte tokens: every output is well formed and nothing is lost that was valid.
  uint32_t state = 12345;
  std::string fed;
  std::string out;
  for (int i = 0; i < 2000; ++i) {
    state = state * 1664525u + 1013904223u;
    const auto byte = static_cast<uint8_t>(state >> 24);
    const int32_t id = tok.vocab().byte_token(byte);
    fed += static_cast<char>(byte);
    const std::string part = dec.push(id);
    ASSERT_TRUE(is_valid_utf8(part));
    out += part;
  }
  out += dec.flush();
  EXPECT_EQ(out, sanitized(fed));
}

TEST(TokenizerUnicode, SanitizeAndValidate) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("Ä 你 🦙"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_EQ(sanitized("a\xF0\x9F\xA6" "b"), "a\xEF\xBF\xBD" "b");  // maximal subpart -> one U+FFFD
  std::string out;
  EXPECT_EQ(append_sanitized_utf8(out, "ok\xE2\x9C", false), 2u);
  EXPECT_EQ(out, "ok");
  bool incomplete = false;
  EXPECT_EQ(utf8_sequence_length("\xE2\x9C", &incomplete), 0u);
  EXPECT_TRUE(incomplete);
  EXPECT_EQ(utf8_sequence_length("\xE2\x9C\x85", &incomplete), 3u);
  EXPECT_EQ(decode_utf8("\xE2\x9C\x85", 3), 0x2705u);
}

TEST(TokenizerUnicode, ByteLevelMapIsABijection) {
  const auto& map = ByteLevelMap::instance();
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string encoded;
  append_byte_level(encoded, all);
  EXPECT_TRUE(is_valid_utf8(encoded));
  EXPECT_EQ(decode_byte_level(encoded), all);
  EXPECT_EQ(map.encode(' '), "Ġ");
  EXPECT_EQ(map.encode('\n'), "Ċ");
  EXPECT_EQ(map.encode('A'), "A");
  EXPECT_EQ(map.byte_of(0x0120), ' ');
  EXPECT_EQ(map.byte_of(0x4E00), -1);
  EXPECT_EQ(decode_byte_level("你"), "你");  // not byte-level: passed through
}

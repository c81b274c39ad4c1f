#pragma once
// SentencePiece-style encoding (llama.cpp's SPM algorithm): start from single UTF-8
// characters and repeatedly merge the adjacent pair whose concatenation is the vocabulary
// token with the highest score (ties: the leftmost pair). Pieces that end up not being tokens
// fall back to <0xNN> byte tokens, or to the unknown token when the vocabulary has no bytes.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

class SpmEncoder {
 public:
  explicit SpmEncoder(const Vocab& vocab) : vocab_(&vocab) {}

  // Appends the tokens of `text`, whose spaces must already be U+2581 (see escape_spaces).
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  // Appends `text` with every ' ' replaced by U+2581 ("▁"), optionally after one leading "▁".
  static void escape_spaces(std::string_view text, bool space_prefix, std::string& out);

 private:
  const Vocab* vocab_;  // owned by the Tokenizer that owns this encoder
};

}  // namespace hearth::tokenizer

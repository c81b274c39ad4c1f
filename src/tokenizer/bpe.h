#pragma once
// Byte-level BPE encoding (GPT-2 style, llama.cpp's algorithm): the text is split into words
// by the pre-tokenizer, each word's bytes are mapped to their byte-level code points, and the
// adjacent pair with the lowest merge rank (ties: the leftmost pair) is merged until no merge
// applies. Strings are interned once at load, so merging compares integers, not text.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

class BpeEncoder {
 public:
  BpeEncoder(const Vocab& vocab, PreTokenizer pre);

  // Appends the tokens of `text` (any bytes; ill-formed UTF-8 is read as U+FFFD).
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  const PreTokenizer& pre_tokenizer() const { return pre_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol id of the merged text
  };
  struct Scratch;

  // Symbol id of a string: its token id, n_vocab + k for merge parts that are not tokens, or -1.
  int32_t symbol_id(std::string_view s) const;
  int32_t intern(const std::string& s);
  void encode_word(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const;
  void emit_fallback(std::string_view piece, std::vector<int32_t>& out) const;

  const Vocab* vocab_;  // owned by the Tokenizer that owns this encoder
  PreTokenizer pre_;
  TextIndex extra_;                                // merge strings that are not tokens
  std::unordered_map<uint64_t, Merge> merges_;     // (left symbol << 32 | right symbol) -> merge
};

}  // namespace hearth::tokenizer

#pragma once
// Text <-> token ids for a GGUF vocabulary, matching llama.cpp's llama_tokenize /
// llama_token_to_piece: SentencePiece-style ("llama") and byte-level BPE ("gpt2")
// vocabularies, special-token parsing, BOS/EOS handling and byte-exact detokenization.
//
//   auto tok = tokenizer::Tokenizer::from_gguf(file);
//   auto ids = tok.encode("Hello", tok.add_bos_default(), /*parse_special=*/false);
//   std::string text = tok.decode(ids);
//
// A Tokenizer is immutable after construction: copies are cheap (shared state) and every
// const member may be called from several threads at once.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/streaming_decoder.h"
#include "tokenizer/vocab.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

struct EncodeOptions {
  std::optional<bool> add_bos;  // unset: the vocabulary's add_bos_token
  std::optional<bool> add_eos;  // unset: the vocabulary's add_eos_token
  bool parse_special = false;   // match CONTROL/UNKNOWN token texts (USER_DEFINED always match)
};

struct DecodeOptions {
  bool render_special = false;  // CONTROL/UNKNOWN tokens render their text instead of nothing
  // SentencePiece vocabularies with add_space_prefix: drop the one space the encoder put in
  // front of the text (the leading space of the first token, after a leading BOS).
  bool strip_leading_space = false;
  // llama_detokenize's clean-up, for vocabularies where llama.cpp applies it (most byte-level
  // BPE ones; see Vocab::clean_spaces): drop the space before ? ! . , and before the
  // contractions 's 'm 're 've, and the spaces around a lone ' . Not reversible.
  bool clean_spaces = false;
};

class Tokenizer {
 public:
  // Throws hearth::Error naming the file and key for unsupported or inconsistent metadata.
  static Tokenizer from_gguf(const gguf::File& file);
  explicit Tokenizer(Vocab vocab, const std::string& origin = "tokenizer");

  // Token ids of `text` (arbitrary bytes). BOS is added when `add_bos` (error if the vocabulary
  // has none), EOS when the vocabulary's add_eos_token says so.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;

  // The bytes a token stands for (possibly part of a UTF-8 character). CONTROL and UNKNOWN
  // tokens are empty unless `render_special`. Throws hearth::Error for an id out of range.
  const std::string& piece(int32_t id, bool render_special = false) const;
  std::string token_to_piece(int32_t id, bool render_special = false) const { return piece(id, render_special); }
  // Concatenated pieces (the exact bytes; may end in the middle of a UTF-8 character).
  std::string decode(std::span<const int32_t> ids, const DecodeOptions& options = {}) const;

  int32_t n_vocab() const;
  VocabType type() const;
  int32_t bos() const;  // kNoToken (-1) when the vocabulary has none
  int32_t eos() const;
  int32_t eot() const;
  int32_t unk() const;
  int32_t pad() const;
  bool add_bos_default() const;
  bool add_eos_default() const;
  // End of generation: eos, eot, eom and end-of-turn tokens such as <|im_end|>, <|eot_id|>,
  // <|endoftext|>.
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;  // CONTROL type (BOS, EOS, chat markers)
  // The vocabulary's own text of a token (e.g. "▁Hello", "Ġworld", "<0x0A>").
  const std::string& token_text(int32_t id) const;
  // Id of the token whose vocabulary text is exactly `text`, or kNoToken.
  int32_t find_token(std::string_view text) const;
  const Vocab& vocab() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace hearth::tokenizer

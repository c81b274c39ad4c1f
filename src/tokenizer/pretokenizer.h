#pragma once
// Byte-level BPE pre-tokenization: splits text into words with the regexes llama.cpp uses for
// each tokenizer.ggml.pre name. A name lists one or more patterns applied in turn: each
// pattern splits every piece left by the previous one into its matches and the text between
// them (both kept), matching inside that piece only. Patterns run on PCRE2 with Unicode
// properties; `\s` means exactly the Unicode White_Space characters.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::tokenizer {

struct ByteRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

class PreTokenizer {
 public:
  // Throws hearth::Error naming `origin` and tokenizer.ggml.pre for an unknown name.
  static PreTokenizer for_name(std::string_view pre, const std::string& origin = "tokenizer");
  // Every accepted tokenizer.ggml.pre name, sorted.
  static std::vector<std::string> known_names();

  // Splits well-formed UTF-8 `text` (see append_sanitized_utf8) into words, appended to `out`
  // as byte ranges of `text`, in order and covering it exactly. Thread-safe.
  void split(std::string_view text, std::vector<ByteRange>& out) const;

  // llama.cpp's ignore_merges: a word that is itself a token is not merged piece by piece.
  bool ignore_merges() const;
  const std::string& name() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace hearth::tokenizer

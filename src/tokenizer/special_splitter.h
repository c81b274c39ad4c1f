#pragma once
// Splits input text around special-token texts before normal tokenization, with llama.cpp's
// semantics: special tokens are taken longest text first, each one at every non-overlapping
// place it occurs in text not yet claimed by a longer one. USER_DEFINED tokens are always
// matched; CONTROL and UNKNOWN tokens only when special tokens are parsed. A token with
// lstrip/rstrip also swallows the ASCII whitespace beside it.
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

// A piece of the input: either text [begin, end) or one special token.
struct Fragment {
  int32_t token = kNoToken;  // kNoToken for text
  uint32_t begin = 0;
  uint32_t end = 0;
  bool is_text() const { return token == kNoToken; }
};

class SpecialSplitter {
 public:
  explicit SpecialSplitter(const Vocab& vocab);

  // Fragments of `text` in order (none for empty text).
  std::vector<Fragment> split(std::string_view text, bool parse_special) const;

 private:
  struct Node {
    std::vector<int32_t> ends;  // indices into vocab.special_ids() whose text ends here
  };
  int32_t child(int32_t node, uint8_t byte) const;

  const Vocab* vocab_;  // owned by the Tokenizer that owns this splitter
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> node
  bool first_any_[256]{};   // bytes that start some special token
  bool first_user_[256]{};  // bytes that start a USER_DEFINED token
  bool has_user_defined_ = false;
};

}  // namespace hearth::tokenizer

#pragma once
// A tokenizer vocabulary as stored in GGUF metadata (tokenizer.ggml.*): token texts, scores,
// types, BPE merges, the special token ids and the add-BOS/EOS/space-prefix flags. Loading
// validates every array length and id and names the offending key on failure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/text_index.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

enum class VocabType { Spm, Bpe };  // tokenizer.ggml.model "llama" / "gpt2"

// tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

struct TokenData {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::Normal;
  // When matched as a special token, also swallow ASCII whitespace to the left/right.
  bool lstrip = false;
  bool rstrip = false;
};

inline constexpr int32_t kNoToken = -1;

struct SpecialTokens {
  int32_t bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken;
  int32_t unk = kNoToken, sep = kNoToken, pad = kNoToken;
};

class Vocab {
 public:
  // Reads tokenizer.ggml.* from `file`; throws hearth::Error naming the file and key.
  static Vocab from_gguf(const gguf::File& file);

  // Builds a vocabulary directly (tests, tools). `pre` only matters for BPE.
  struct Spec {
    VocabType type = VocabType::Spm;
    std::string pre = "default";
    std::vector<TokenData> tokens;
    std::vector<std::pair<std::string, std::string>> merges;  // BPE, in rank order
    SpecialTokens special;
    std::optional<bool> add_bos, add_eos, add_space_prefix;   // defaults per type when unset
    std::optional<bool> clean_spaces;                         // default per type and pre
    std::string name;  // general.name, used for per-model special-token attributes
  };
  static Vocab build(Spec spec, const std::string& origin = "vocab");

  VocabType type() const { return type_; }
  const std::string& model_name() const;  // "llama" or "gpt2"
  const std::string& pre() const { return pre_; }
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  bool contains(int32_t id) const { return id >= 0 && id < size(); }
  const TokenData& token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }

  // Id of the token with exactly this text (the last one if several share it), or kNoToken.
  int32_t find(std::string_view text) const { return index_.find(text); }
  // SPM byte-fallback token for a byte (<0xNN>), or kNoToken.
  int32_t byte_token(uint8_t b) const { return byte_tokens_[b]; }
  // The byte a BYTE-type token stands for.
  uint8_t token_byte(int32_t id) const;

  const SpecialTokens& special() const { return special_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // Whether llama.cpp's detokenizer tidies spaces for this vocabulary (see DecodeOptions).
  bool clean_spaces() const { return clean_spaces_; }
  // Tokens that end generation: eos, eot, eom and well-known end-of-turn tokens.
  const std::vector<int32_t>& eog_ids() const { return eog_; }
  // Tokens matched by the special-token splitter (CONTROL, USER_DEFINED, UNKNOWN).
  const std::vector<int32_t>& special_ids() const { return special_ids_; }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }

 private:
  Vocab() = default;
  void finish(const std::string& origin, const std::string& name);

  VocabType type_ = VocabType::Spm;
  std::string pre_;
  std::vector<TokenData> tokens_;
  TextIndex index_;
  std::vector<std::pair<std::string, std::string>> merges_;
  int32_t byte_tokens_[256]{};
  SpecialTokens special_;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false, clean_spaces_ = false;
  std::vector<int32_t> eog_;
  std::vector<int32_t> special_ids_;
};

}  // namespace hearth::tokenizer

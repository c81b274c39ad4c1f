#pragma once
// UTF-8 helpers shared by the tokenizers and the detokenizer, and the GPT-2 byte-level
// mapping (every byte <-> one printable code point) used by byte-level BPE vocabularies.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace hearth::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence a byte starts, from its high four bits alone (1 for ASCII and
// for stray continuation bytes). Lenient on purpose: SentencePiece-style splitting uses it.
inline size_t utf8_len_from_lead(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

using hearth::append_utf8;

// Length of the well-formed UTF-8 sequence at the start of `s` (Unicode's strict definition:
// no overlongs, no surrogates, nothing above U+10FFFF); 0 if `s` does not start with one.
// `*incomplete` is set when the bytes seen so far are a valid prefix cut off by the end of `s`.
size_t utf8_sequence_length(std::string_view s, bool* incomplete = nullptr);

// Appends `in` to `out` as well-formed UTF-8: each maximal ill-formed subpart becomes U+FFFD.
// If `final` is false a valid but incomplete sequence at the end is not consumed; returns the
// number of input bytes consumed (always in.size() when `final`).
size_t append_sanitized_utf8(std::string& out, std::string_view in, bool final);

bool is_valid_utf8(std::string_view s);

// Decodes the well-formed sequence of length `len` at `p` (see utf8_sequence_length).
uint32_t decode_utf8(const char* p, size_t len);

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the other 68 to U+0100...
class ByteLevelMap {
 public:
  static const ByteLevelMap& instance();
  // The UTF-8 text of the code point standing for `b`.
  std::string_view encode(uint8_t b) const { return {enc_[b], enc_len_[b]}; }
  // The byte a code point stands for, or -1 if it stands for none.
  int byte_of(uint32_t cp) const { return cp < kMaxCp ? dec_[cp] : -1; }

 private:
  ByteLevelMap();
  static constexpr uint32_t kMaxCp = 0x144;  // 256 + 68
  char enc_[256][2]{};
  uint8_t enc_len_[256]{};
  int16_t dec_[kMaxCp]{};
};

// Byte-level text of raw bytes (each byte through ByteLevelMap), appended to `out`.
void append_byte_level(std::string& out, std::string_view raw);
// Raw bytes of byte-level text; code points outside the mapping are copied through as UTF-8.
std::string decode_byte_level(std::string_view text);

}  // namespace hearth::tokenizer

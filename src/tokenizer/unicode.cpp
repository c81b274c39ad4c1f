#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// Scans the sequence at the start of `s`. Returns its length when well formed; otherwise 0 and
// `*bad` = the length of the maximal ill-formed subpart (>= 1), or `*cut` when the bytes are
// a valid prefix that the end of `s` cut short.
size_t scan_sequence(std::string_view s, size_t* bad, bool* cut) {
  *bad = 0;
  *cut = false;
  const auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= s.size()) {
      *cut = true;
      *bad = i;
      return 0;
    }
    const auto b = static_cast<uint8_t>(s[i]);
    const bool ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *bad = i;
      return 0;
    }
  }
  return need;
}

}  // namespace

size_t utf8_sequence_length(std::string_view s, bool* incomplete) {
  size_t bad;
  bool cut = false;
  size_t n = s.empty() ? 0 : scan_sequence(s, &bad, &cut);
  if (incomplete) *incomplete = cut;
  return n;
}

size_t append_sanitized_utf8(std::string& out, std::string_view in, bool final) {
  size_t i = 0;
  while (i < in.size()) {
    // Fast path for runs of ASCII.
    size_t j = i;
    while (j < in.size() && static_cast<uint8_t>(in[j]) < 0x80) ++j;
    out.append(in.data() + i, j - i);
    i = j;
    if (i == in.size()) break;
    size_t bad;
    bool cut;
    const size_t n = scan_sequence(in.substr(i), &bad, &cut);
    if (n) {
      out.append(in.data() + i, n);
      i += n;
      continue;
    }
    if (cut && !final) return i;  // wait for the rest of the sequence
    append_utf8(out, kReplacementChar);
    i += bad;
  }
  return i;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = utf8_sequence_length(s.substr(i));
    if (!n) return false;
    i += n;
  }
  return true;
}

uint32_t decode_utf8(const char* p, size_t len) {
  const auto b = [p](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(p[i])); };
  switch (len) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

ByteLevelMap::ByteLevelMap() {
  for (auto& d : dec_) d = -1;
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
    std::string s;
    append_utf8(s, cp);
    enc_len_[b] = static_cast<uint8_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) enc_[b][i] = s[i];
    dec_[cp] = static_cast<int16_t>(b);
  }
}

const ByteLevelMap& ByteLevelMap::instance() {
  static const ByteLevelMap map;  // immutable after construction
  return map;
}

void append_byte_level(std::string& out, std::string_view raw) {
  const auto& map = ByteLevelMap::instance();
  for (char c : raw) out += map.encode(static_cast<uint8_t>(c));
}

std::string decode_byte_level(std::string_view text) {
  const auto& map = ByteLevelMap::instance();
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t n = utf8_sequence_length(text.substr(i));
    if (!n) {  // not UTF-8: copy the byte through
      out += text[i++];
      continue;
    }
    const int b = map.byte_of(decode_utf8(text.data() + i, n));
    if (b >= 0)
      out += static_cast<char>(b);
    else
      out.append(text.data() + i, n);
    i += n;
  }
  return out;
}

}  // namespace hearth::tokenizer

#include "tokenizer/spm.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

struct Symbol {
  uint32_t begin;
  uint32_t len;  // 0 once merged into its left neighbour
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  uint32_t len;
};

// Max-heap order: higher score first, then the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void SpmEncoder::escape_spaces(std::string_view text, bool space_prefix, std::string& out) {
  out.reserve(out.size() + text.size() + 3);
  if (space_prefix) out += kSpaceMark;
  for (char c : text) {
    if (c == ' ')
      out += kSpaceMark;
    else
      out += c;
  }
}

void SpmEncoder::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  const Vocab& vocab = *vocab_;
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_len_from_lead(static_cast<uint8_t>(text[off])), text.size() - off);
    const auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({static_cast<uint32_t>(off), static_cast<uint32_t>(n), idx - 1, off + n == text.size() ? -1 : idx + 1});
    off += n;
  }

  std::vector<Bigram> heap;
  heap.reserve(syms.size());
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms[static_cast<size_t>(left)];
    const Symbol& r = syms[static_cast<size_t>(right)];
    const uint32_t len = l.len + r.len;
    const int32_t id = vocab.find(text.substr(l.begin, len));
    if (id == kNoToken) return;
    heap.push_back({vocab.token(id).score, left, right, len});
    std::push_heap(heap.begin(), heap.end(), BigramLess{});
  };
  for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramLess{});
    const Bigram bg = heap.back();
    heap.pop_back();
    Symbol& l = syms[static_cast<size_t>(bg.left)];
    Symbol& r = syms[static_cast<size_t>(bg.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != bg.len) continue;  // stale
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = bg.left;
    try_add(l.prev, bg.left);
    try_add(bg.left, l.next);
  }

  for (int32_t i = 0; i != -1; i = syms[static_cast<size_t>(i)].next) {
    const Symbol& s = syms[static_cast<size_t>(i)];
    const std::string_view piece = text.substr(s.begin, s.len);
    if (const int32_t id = vocab.find(piece); id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // A piece that is not a token is a single character: spell it in byte tokens.
    bool have_bytes = true;
    for (char c : piece) have_bytes = have_bytes && vocab.byte_token(static_cast<uint8_t>(c)) != kNoToken;
    if (have_bytes) {
      for (char c : piece) out.push_back(vocab.byte_token(static_cast<uint8_t>(c)));
    } else if (vocab.special().unk != kNoToken) {
      out.push_back(vocab.special().unk);
    }
  }
}

}  // namespace hearth::tokenizer

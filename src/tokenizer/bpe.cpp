#include "tokenizer/bpe.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

struct Symbol {
  uint32_t begin;
  uint32_t len;  // 0 once merged into its left neighbour
  int32_t id;    // symbol id (see BpeEncoder::symbol_id)
  int32_t prev;
  int32_t next;
};

struct Bigram {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t left_id;
  int32_t right_id;
  int32_t result;
};

// Max-heap order: lowest rank first, then the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

struct BpeEncoder::Scratch {
  std::string clean;  // the text as well-formed UTF-8, when it was not
  std::string word;   // byte-level text of the current word
  std::vector<ByteRange> words;
  std::vector<Symbol> syms;
  std::vector<Bigram> heap;
};

BpeEncoder::BpeEncoder(const Vocab& vocab, PreTokenizer pre) : vocab_(&vocab), pre_(std::move(pre)) {
  const auto& merges = vocab.merges();
  merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    joined.assign(a).append(b);
    const int32_t ia = intern(a), ib = intern(b), res = intern(joined);
    merges_.emplace(pair_key(ia, ib), Merge{static_cast<int32_t>(rank), res});  // first rank wins
  }
}

int32_t BpeEncoder::symbol_id(std::string_view s) const {
  if (const int32_t id = vocab_->find(s); id != kNoToken) return id;
  return extra_.find(s);
}

int32_t BpeEncoder::intern(const std::string& s) {
  if (const int32_t id = symbol_id(s); id >= 0) return id;
  const auto id = static_cast<int32_t>(vocab_->size() + static_cast<int64_t>(extra_.size()));
  extra_.set(s, id);
  return id;
}

void BpeEncoder::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  Scratch sc;
  if (!is_valid_utf8(text)) {
    append_sanitized_utf8(sc.clean, text, true);
    text = sc.clean;
  }
  pre_.split(text, sc.words);
  for (const ByteRange w : sc.words) {
    sc.word.clear();
    append_byte_level(sc.word, text.substr(w.begin, w.end - w.begin));
    encode_word(sc.word, sc, out);
  }
}

void BpeEncoder::encode_word(std::string_view word, Scratch& sc, std::vector<int32_t>& out) const {
  const Vocab& vocab = *vocab_;
  if (pre_.ignore_merges()) {
    if (const int32_t id = vocab.find(word); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }
  auto& syms = sc.syms;
  syms.clear();
  for (size_t off = 0; off < word.size();) {
    const size_t n = std::min(utf8_len_from_lead(static_cast<uint8_t>(word[off])), word.size() - off);
    const auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({static_cast<uint32_t>(off), static_cast<uint32_t>(n), symbol_id(word.substr(off, n)), idx - 1,
                    off + n == word.size() ? -1 : idx + 1});
    off += n;
  }

  auto& heap = sc.heap;
  heap.clear();
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t a = syms[static_cast<size_t>(left)].id, b = syms[static_cast<size_t>(right)].id;
    if (a < 0 || b < 0) return;
    auto it = merges_.find(pair_key(a, b));
    if (it == merges_.end()) return;
    heap.push_back({it->second.rank, left, right, a, b, it->second.result});
    std::push_heap(heap.begin(), heap.end(), BigramLess{});
  };
  for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramLess{});
    const Bigram bg = heap.back();
    heap.pop_back();
    Symbol& l = syms[static_cast<size_t>(bg.left)];
    Symbol& r = syms[static_cast<size_t>(bg.right)];
    // Stale when either side was merged away or has grown since the pair was queued.
    if (l.len == 0 || r.len == 0 || l.id != bg.left_id || r.id != bg.right_id) continue;
    l.id = bg.result;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = bg.left;
    try_add(l.prev, bg.left);
    try_add(bg.left, l.next);
  }

  for (int32_t i = 0; i != -1; i = syms[static_cast<size_t>(i)].next) {
    const Symbol& s = syms[static_cast<size_t>(i)];
    if (s.id >= 0 && s.id < vocab.size())
      out.push_back(s.id);
    else
      emit_fallback(word.substr(s.begin, s.len), out);
  }
}

// A piece that is not a token (a truncated or inconsistent vocabulary): one token per
// character where the vocabulary has it, else the unknown token, else nothing.
void BpeEncoder::emit_fallback(std::string_view piece, std::vector<int32_t>& out) const {
  for (size_t off = 0; off < piece.size();) {
    const size_t n = std::min(utf8_len_from_lead(static_cast<uint8_t>(piece[off])), piece.size() - off);
    const int32_t id = vocab_->find(piece.substr(off, n));
    if (id != kNoToken)
      out.push_back(id);
    else if (vocab_->special().unk != kNoToken)
      out.push_back(vocab_->special().unk);
    off += n;
  }
}

}  // namespace hearth::tokenizer

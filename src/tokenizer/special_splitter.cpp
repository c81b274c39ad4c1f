#include "tokenizer/special_splitter.h"

#include <algorithm>

namespace hearth::tokenizer {
namespace {

bool always_matched(TokenType t) { return t == TokenType::UserDefined; }

bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

enum : uint8_t { kFree = 0, kToken = 1, kStripped = 2 };

}  // namespace

SpecialSplitter::SpecialSplitter(const Vocab& vocab) : vocab_(&vocab) {
  nodes_.emplace_back();  // root
  const auto& ids = vocab.special_ids();
  for (size_t k = 0; k < ids.size(); ++k) {
    const TokenData& t = vocab.token(ids[k]);
    int32_t node = 0;
    for (char c : t.text) {
      const auto b = static_cast<uint8_t>(c);
      const uint64_t key = (static_cast<uint64_t>(node) << 8) | b;
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        it = edges_.emplace(key, static_cast<int32_t>(nodes_.size())).first;
        nodes_.emplace_back();
      }
      node = it->second;
    }
    nodes_[static_cast<size_t>(node)].ends.push_back(static_cast<int32_t>(k));
    const auto first = static_cast<uint8_t>(t.text[0]);
    first_any_[first] = true;
    if (always_matched(t.type)) {
      first_user_[first] = true;
      has_user_defined_ = true;
    }
  }
}

int32_t SpecialSplitter::child(int32_t node, uint8_t byte) const {
  auto it = edges_.find((static_cast<uint64_t>(node) << 8) | byte);
  return it == edges_.end() ? -1 : it->second;
}

std::vector<Fragment> SpecialSplitter::split(std::string_view text, bool parse_special) const {
  std::vector<Fragment> out;
  if (text.empty()) return out;
  const auto n = static_cast<uint32_t>(text.size());
  if (!(parse_special ? nodes_.size() > 1 : has_user_defined_)) {
    out.push_back({kNoToken, 0, n});
    return out;
  }
  const auto& ids = vocab_->special_ids();
  const bool* first = parse_special ? first_any_ : first_user_;

  // Every place a candidate token occurs, as (priority, start).
  struct Occurrence {
    int32_t prio;
    uint32_t start;
  };
  std::vector<Occurrence> occ;
  for (uint32_t p = 0; p < n; ++p) {
    if (!first[static_cast<uint8_t>(text[p])]) continue;
    int32_t node = 0;
    for (uint32_t q = p; q < n; ++q) {
      node = child(node, static_cast<uint8_t>(text[q]));
      if (node < 0) break;
      for (int32_t k : nodes_[static_cast<size_t>(node)].ends)
        if (parse_special || always_matched(vocab_->token(ids[static_cast<size_t>(k)]).type)) occ.push_back({k, p});
    }
  }
  if (occ.empty()) {
    out.push_back({kNoToken, 0, n});
    return out;
  }
  {
    // Stable counting sort by priority; starts are already ascending within each priority.
    std::vector<uint32_t> first_of(ids.size() + 1, 0);
    for (const Occurrence& o : occ) ++first_of[static_cast<size_t>(o.prio) + 1];
    for (size_t k = 1; k < first_of.size(); ++k) first_of[k] += first_of[k - 1];
    std::vector<Occurrence> sorted(occ.size());
    for (const Occurrence& o : occ) sorted[first_of[static_cast<size_t>(o.prio)]++] = o;
    occ.swap(sorted);
  }

  // Claim text in priority order: a token matches only where all its bytes are still free.
  std::vector<uint8_t> state(n, kFree);
  std::vector<Fragment> tokens;
  for (const Occurrence& o : occ) {
    const int32_t id = ids[static_cast<size_t>(o.prio)];
    const TokenData& t = vocab_->token(id);
    const auto len = static_cast<uint32_t>(t.text.size());
    const uint32_t end = o.start + len;
    if (state[o.start] != kFree || state[end - 1] != kFree ||
        std::any_of(state.begin() + o.start, state.begin() + end, [](uint8_t s) { return s != kFree; }))
      continue;
    std::fill(state.begin() + o.start, state.begin() + end, kToken);
    tokens.push_back({id, o.start, end});
    if (t.lstrip)
      for (uint32_t i = o.start; i > 0 && state[i - 1] == kFree && ascii_space(text[i - 1]); --i) state[i - 1] = kStripped;
    if (t.rstrip)
      for (uint32_t i = end; i < n && state[i] == kFree && ascii_space(text[i]); ++i) state[i] = kStripped;
  }
  std::sort(tokens.begin(), tokens.end(), [](const Fragment& a, const Fragment& b) { return a.begin < b.begin; });

  // Free runs between the claimed tokens are the text fragments.
  auto add_text = [&](uint32_t from, uint32_t to) {
    while (from < to) {
      while (from < to && state[from] != kFree) ++from;
      uint32_t e = from;
      while (e < to && state[e] == kFree) ++e;
      if (e > from) out.push_back({kNoToken, from, e});
      from = e;
    }
  };
  uint32_t cursor = 0;
  for (const Fragment& f : tokens) {
    add_text(cursor, f.begin);
    out.push_back(f);
    cursor = f.end;
  }
  add_text(cursor, n);
  return out;
}

}  // namespace hearth::tokenizer

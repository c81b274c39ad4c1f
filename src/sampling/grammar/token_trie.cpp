#include "sampling/grammar/token_trie.h"

#include <algorithm>

#include "core/error.h"

namespace hearth::sampling::grammar {

TokenTrie::TokenTrie(std::vector<std::string> pieces, std::vector<TokenKind> kinds)
    : pieces_(std::move(pieces)), kinds_(std::move(kinds)) {
  HEARTH_CHECK(pieces_.size() == kinds_.size(), "{} pieces but {} kinds", pieces_.size(), kinds_.size());
  for (size_t id = 0; id < pieces_.size(); ++id) {
    const auto t = static_cast<int32_t>(id);
    if (kinds_[id] == TokenKind::EndOfGeneration) eog_.push_back(t);
    if (kinds_[id] == TokenKind::Text && !pieces_[id].empty() && pieces_[id].size() < 0xFFFF) ids_.push_back(t);
  }
  std::sort(ids_.begin(), ids_.end(), [&](int32_t a, int32_t b) {
    const auto& pa = pieces_[static_cast<size_t>(a)];
    const auto& pb = pieces_[static_cast<size_t>(b)];
    return pa < pb || (pa == pb && a < b);
  });
  std::vector<uint32_t> path;  // open nodes from depth 1 down
  const std::string* prev = nullptr;
  for (size_t k = 0; k < ids_.size(); ++k) {
    const std::string& p = pieces_[static_cast<size_t>(ids_[k])];
    size_t common = 0;
    if (prev) {
      const size_t n = std::min(prev->size(), p.size());
      while (common < n && (*prev)[common] == p[common]) ++common;
    }
    while (path.size() > common) {
      nodes_[path.back()].subtree_end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < p.size(); ++d) {
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({0, 0, 0, static_cast<uint16_t>(d + 1), static_cast<uint8_t>(p[d])});
    }
    Node& end = nodes_[path.back()];
    if (end.tok_begin == end.tok_end) end.tok_begin = static_cast<uint32_t>(k);
    end.tok_end = static_cast<uint32_t>(k + 1);
    max_depth_ = std::max(max_depth_, p.size());
    prev = &p;
  }
  while (!path.empty()) {
    nodes_[path.back()].subtree_end = static_cast<uint32_t>(nodes_.size());
    path.pop_back();
  }
}

}  // namespace hearth::sampling::grammar

#include "engine/prefix_cache.h"

#include <algorithm>

namespace hearth::engine {
namespace {

int64_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return static_cast<int64_t>(i);
}

}  // namespace

std::unique_ptr<Sequence> PrefixCache::acquire(const Context& ctx, std::span<const int32_t> prompt, int64_t& reused) {
  reused = 0;
  auto best = entries_.end();
  const int64_t limit = static_cast<int64_t>(prompt.size()) - 1;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const int64_t n = std::min(common_prefix((*it)->tokens, prompt), limit);
    if (n > reused) {
      reused = n;
      best = it;
    }
  }
  if (best == entries_.end()) return ctx.new_sequence();
  entries_.splice(entries_.begin(), entries_, best);  // most recently used
  return ctx.copy_prefix(*entries_.front(), reused);
}

void PrefixCache::release(std::unique_ptr<Sequence> seq) {
  if (max_entries_ == 0 || !seq || seq->tokens.empty()) return;
  // An entry the new sequence extends carries nothing the new one lacks.
  std::erase_if(entries_, [&](const std::unique_ptr<Sequence>& e) {
    return common_prefix(e->tokens, seq->tokens) == static_cast<int64_t>(e->tokens.size());
  });
  entries_.push_front(std::move(seq));
  while (entries_.size() > max_entries_) entries_.pop_back();
}

int64_t PrefixCache::cached_tokens() const {
  int64_t n = 0;
  for (const auto& e : entries_) n += static_cast<int64_t>(e->tokens.size());
  return n;
}

}  // namespace hearth::engine

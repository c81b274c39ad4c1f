#pragma once
// Prefix caching: finished sequences keep their KV (a bounded, least-recently-used set), and a
// new prompt that starts with the tokens of one of them starts from a copy of that KV instead
// of recomputing it. Owned by the scheduler thread; not thread-safe.
#include <cstdint>
#include <list>
#include <memory>
#include <span>

#include "engine/context.h"

namespace hearth::engine {

class PrefixCache {
 public:
  explicit PrefixCache(size_t max_entries) : max_entries_(max_entries) {}

  // A fresh sequence for `prompt`, holding the longest cached prefix of it (never the whole
  // prompt: the last token is always evaluated, so there are logits to sample from).
  // `reused` is set to the number of tokens that need no evaluation.
  std::unique_ptr<Sequence> acquire(const Context& ctx, std::span<const int32_t> prompt, int64_t& reused);
  // Keeps a finished sequence; one that extends (or equals) a cached entry replaces it.
  void release(std::unique_ptr<Sequence> seq);

  size_t size() const { return entries_.size(); }
  int64_t cached_tokens() const;
  void clear() { entries_.clear(); }

 private:
  size_t max_entries_;
  std::list<std::unique_ptr<Sequence>> entries_;  // most recently used first
};

}  // namespace hearth::engine

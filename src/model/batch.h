#pragma once
// The unit of work: a micro-batch of tokens, each tagged with its sequence (KV cache) and
// position; the caller marks which rows need logits.
#include <cstdint>
#include <vector>

#include "model/kv_cache.h"

namespace hearth::model {

struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int64_t> positions;
  std::vector<KvCache*> caches;     // the sequence each token belongs to
  std::vector<uint8_t> want_logits;  // 1 where logits are returned

  void add(int32_t token, int64_t pos, KvCache* cache, bool logits) {
    tokens.push_back(token);
    positions.push_back(pos);
    caches.push_back(cache);
    want_logits.push_back(logits ? 1 : 0);
  }
  void clear() {
    tokens.clear();
    positions.clear();
    caches.clear();
    want_logits.clear();
  }
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
};

}  // namespace hearth::model

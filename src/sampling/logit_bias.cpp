#include "sampling/logit_bias.h"

#include <algorithm>

#include "core/error.h"

namespace hearth::sampling {

void apply_logit_bias(Candidates& c, std::span<const LogitBias> biases, size_t n_vocab) {
  if (biases.empty()) return;
  auto items = c.items();
  for (const auto& b : biases) {
    if (b.id < 0 || static_cast<size_t>(b.id) >= n_vocab)
      fail("logit bias for token {}, but the vocabulary has {} tokens (ids 0..{})", b.id, n_vocab, n_vocab - 1);
    const auto id = static_cast<size_t>(b.id);
    if (id < items.size() && items[id].id == b.id) {
      items[id].logit += b.bias;  // the whole vocabulary: the entry is at its id
      continue;
    }
    auto it = std::lower_bound(items.begin(), items.end(), b.id, [](const TokenData& t, int32_t v) { return t.id < v; });
    if (it != items.end() && it->id == b.id) it->logit += b.bias;
  }
  c.logits_changed();
}

}  // namespace hearth::sampling

#include "sampling/penalties.h"

#include <algorithm>

namespace hearth::sampling {

void TokenHistory::push(int32_t id) {
  if (last_n_ == 0) return;
  window_.push_back(id);
  ++counts_[id];
  if (last_n_ > 0 && window_.size() > static_cast<size_t>(last_n_)) {
    const int32_t old = window_.front();
    window_.pop_front();
    if (auto it = counts_.find(old); --it->second == 0) counts_.erase(it);
  }
}

void TokenHistory::clear() {
  window_.clear();
  counts_.clear();
}

namespace {
void penalise(TokenData& t, int32_t count, const PenaltyParams& p) {
  if (p.repeat != 1.0f) t.logit = t.logit > 0.0f ? t.logit / p.repeat : t.logit * p.repeat;
  t.logit -= static_cast<float>(count) * p.frequency + p.presence;
}
}  // namespace

void apply_penalties(Candidates& c, const TokenHistory& history, const PenaltyParams& params) {
  if (!params.active() || history.counts().empty() || c.empty()) return;
  auto items = c.items();
  // Fast path: the full vocabulary in id order (penalties first in the chain), so a token's
  // entry is at its id. Otherwise look each candidate up in the (small) history.
  bool direct = true;
  for (const auto& [id, n] : history.counts())
    if (id < 0 || static_cast<size_t>(id) >= items.size() || items[static_cast<size_t>(id)].id != id) direct = false;
  if (direct) {
    for (const auto& [id, n] : history.counts()) penalise(items[static_cast<size_t>(id)], n, params);
  } else {
    const auto& counts = history.counts();
    for (auto& t : items)
      if (auto it = counts.find(t.id); it != counts.end()) penalise(t, it->second, params);
  }
  c.logits_changed();
}

}  // namespace hearth::sampling

#include "sampling/temperature.h"

namespace hearth::sampling {

void apply_temperature(Candidates& c, float t) {
  if (c.empty()) return;
  if (t <= 0.0f) {
    const TokenData best = c[c.argmax_index()];
    c.truncate(1);
    c[0] = best;
    c[0].p = 1.0f;
    return;
  }
  if (t == 1.0f) return;
  // Dividing by a positive t keeps the order, so a sorted set stays sorted.
  for (auto& x : c.items()) x.logit /= t;
}

}  // namespace hearth::sampling

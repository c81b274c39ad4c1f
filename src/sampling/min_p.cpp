#include "sampling/min_p.h"

#include <algorithm>
#include <cmath>

namespace hearth::sampling {

void apply_min_p(Candidates& c, float p) {
  if (p <= 0.0f || c.empty()) return;
  if (p > 1.0f) p = 1.0f;
  const double threshold = static_cast<double>(c[c.argmax_index()].logit) + std::log(static_cast<double>(p));
  auto items = c.items();
  size_t kept = 0;
  for (size_t i = 0; i < items.size(); ++i)
    if (static_cast<double>(items[i].logit) >= threshold) items[kept++] = items[i];
  // The maximum always passes, so at least one token is left; order (and sortedness) survive.
  c.truncate(kept);
}

}  // namespace hearth::sampling
